package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzLoad checks that Load never panics on any file, and that every problem about a key
// says on which line to look.
func FuzzLoad(f *testing.F) {
	for _, glob := range []string{"testdata/bad/*.toml", "../../config.example.toml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		path := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(path, src, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path)
		if err == nil {
			_ = cfg.Redacted()
			return
		}
		var ps *Problems
		if !errors.As(err, &ps) {
			t.Fatalf("error is not *Problems: %v", err)
		}
		for _, p := range ps.List {
			if p.Key != "" && p.Line < 1 {
				t.Errorf("problem about a key without a line: %v", p)
			}
		}
	})
}

// FuzzIndexLines checks that the line index terminates on any input and, for valid TOML,
// knows every key BurntSushi/toml decodes (keys inside arrays aside).
func FuzzIndexLines(f *testing.F) {
	f.Add("a = [\n'''\n\"\"\"{ [[x]]")
	f.Add("[a.\"b\\u00e9\"]\nc.d = { e = 1, f = [{ g = 2 }] }\n[[h]]\ni = \"\"\"\n\"\"\"")
	f.Fuzz(func(t *testing.T, src string) {
		ix := indexLines(src)
		var m map[string]any
		md, err := toml.Decode(src, &m)
		if err != nil {
			return
		}
	keys:
		for _, k := range md.Keys() {
			for n := 1; n < len(k); n++ {
				if md.Type(k[:n]...) == "Array" {
					continue keys
				}
			}
			if _, ok := ix[pathID(k)]; !ok {
				t.Fatalf("key %q is not in the index %v", k, ix)
			}
		}
	})
}
