package fetchmailrc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzImport: whatever the input, Import does not panic, and what it writes is valid
// TOML that keeps to the schema's keys, types and values, the same every time.
func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.rc")
	for _, p := range files {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := Import("fuzz.rc", src, Options{LocalUser: "me"})
		if err != nil {
			if res != nil {
				t.Fatal("a result with an error")
			}
			return
		}
		if p := schemaProblems(res.TOML, false); len(p) > 0 {
			t.Fatalf("bad output: %s\n--- input:\n%q\n--- output:\n%s", strings.Join(p, "\n"), src, res.TOML)
		}
		lines := 1 + bytes.Count(src, []byte("\n"))
		for _, w := range res.Warnings {
			if w.Line < 0 || w.Line > lines || w.File != "fuzz.rc" || w.Msg == "" {
				t.Fatalf("bad warning %+v (input has %d lines)", w, lines)
			}
		}
		again, _ := Import("fuzz.rc", src, Options{LocalUser: "me"})
		if !bytes.Equal(again.TOML, res.TOML) {
			t.Fatal("two imports of one input differ")
		}
	})
}
