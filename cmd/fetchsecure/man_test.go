package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateMan = flag.Bool("update-man", false, "rewrite docs/man from --help and config.example.toml")

// TestManPages: the committed manual pages are what --help and config.example.toml
// give now (run `go generate ./cmd/fetchsecure` after changing either).
func TestManPages(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "")
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "man")
	for name, page := range manPages(string(example)) {
		path := filepath.Join(dir, name)
		if *updateMan {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != page {
			t.Errorf("%s is out of date: run `go generate ./cmd/fetchsecure` (%v)", path, err)
		}
	}
}
