package fetchmailrc

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden .toml and .warnings files in testdata")

// incomplete lists the golden inputs whose import cannot be a complete configuration,
// and why; every other one must pass the schema check with all required keys.
var incomplete = map[string]string{
	"20-hayami-comments-only":         "no poll entry at all",
	"26-2martens-envsubst-template":   "the mda needs a shell, so it is commented out",
	"27-spotnik-ham-empty-template":   "the entry has no server name, so it is commented out",
	"39-wuze-missing-password":        "the mda needs a shell, and the user name is empty",
	"95-multidrop-and-oddities":       "bsmtp has no equivalent: no delivery target",
	"96-fetchmail-rejects-everything": "garbage in, best effort out",
}

// TestGolden imports every testdata/*.rc (the 30 public fetchmailrc files of the corpus,
// then a few of our own) and compares the TOML and the warnings with the reviewed
// golden files. Run `go test -update` after a deliberate change and review the diff.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.rc")
	if err != nil || len(files) < 30 {
		t.Fatalf("want the corpus in testdata, found %d files (%v)", len(files), err)
	}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".rc")
		t.Run(base, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(f, src, Options{LocalUser: "me"})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			_, partial := incomplete[base]
			if p := schemaProblems(res.TOML, !partial); len(p) > 0 {
				t.Errorf("output breaks the schema:\n%s\n%s", strings.Join(p, "\n"), res.TOML)
			}
			var w bytes.Buffer
			for _, x := range res.Warnings {
				w.WriteString(x.String() + "\n")
			}
			golden(t, strings.TrimSuffix(f, ".rc")+".toml", res.TOML)
			golden(t, strings.TrimSuffix(f, ".rc")+".warnings", w.Bytes())
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the import; got:\n%s", path, got)
	}
}

// TestImportIsDeterministic guards the golden files: the same input gives the same bytes.
func TestImportIsDeterministic(t *testing.T) {
	src, err := os.ReadFile("testdata/32-fetchmail-upstream-sample.rc")
	if err != nil {
		t.Fatal(err)
	}
	first, _ := Import("x", src, Options{LocalUser: "me"})
	for i := 0; i < 20; i++ {
		again, _ := Import("x", src, Options{LocalUser: "me"})
		if !bytes.Equal(first.TOML, again.TOML) || len(first.Warnings) != len(again.Warnings) {
			t.Fatal("two imports of one file differ")
		}
	}
}
