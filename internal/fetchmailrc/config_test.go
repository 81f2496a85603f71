package fetchmailrc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/config"
)

// TestGoldenOutputsPassTheRealChecker loads every complete golden output with
// internal/config, the checker `fetchsecure check` runs: an import must give a config
// that fetchsecure accepts, apart from files that exist only on the original machine.
func TestGoldenOutputsPassTheRealChecker(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.toml")
	if len(files) == 0 {
		t.Fatal("no golden outputs")
	}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".toml")
		if _, partial := incomplete[base]; partial {
			continue
		}
		t.Run(base, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, src, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = config.Load(path)
			var probs *config.Problems
			if err != nil && !errors.As(err, &probs) {
				t.Fatalf("Load: %v", err)
			}
			if probs == nil {
				return
			}
			for _, p := range probs.List {
				if !strings.Contains(p.Msg, "no such file") && !strings.Contains(p.Msg, "does not exist") {
					t.Errorf("%s", p)
				}
			}
		})
	}
}
