package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

var update = flag.Bool("update", false, "rewrite the .want files of testdata/bad")

// TestBadConfigs loads each testdata/bad/NN-name.toml and compares the problems with
// NN-name.want, one "file:line: key: msg; hint" per line, with file names relative to
// testdata/bad.
func TestBadConfigs(t *testing.T) {
	t.Setenv("HOME", "/home/test")
	t.Setenv("USER", "test")
	files, err := filepath.Glob("testdata/bad/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".toml")
		t.Run(name, func(t *testing.T) {
			got := problemsOf(t, file)
			want := filepath.Join("testdata/bad", name+".want")
			if *update {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(b) {
				t.Errorf("problems differ\n--- got:\n%s--- want:\n%s", got, b)
			}
		})
	}
}

// problemsOf loads file, which must fail with a config error, and returns its problems
// with paths relative to the fixture directory.
func problemsOf(t *testing.T, file string) string {
	t.Helper()
	cfg, err := Load(file)
	if err == nil {
		t.Fatalf("Load(%s) succeeded: %+v", file, cfg)
	}
	if k := fail.KindOf(err); k != fail.Config {
		t.Errorf("kind = %v, want %v", k, fail.Config)
	}
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %T is not *Problems: %v", err, err)
	}
	abs, _ := filepath.Abs(filepath.Dir(file))
	var b strings.Builder
	for _, p := range ps.List {
		if p.Key != "" && p.Line < 1 {
			t.Errorf("problem without a line: %v", p)
		}
		if strings.Contains(p.String(), "hunter2") || strings.Contains(p.String(), "12345") {
			t.Errorf("problem reveals a password: %v", p)
		}
		s := strings.TrimPrefix(p.String(), filepath.Dir(file)+"/")
		b.WriteString(strings.ReplaceAll(s, abs+"/", "") + "\n")
	}
	return b.String()
}
