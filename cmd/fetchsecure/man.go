package main

import (
	"os"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/manpage"
)

//go:generate go test -run TestManPages -update-man .

// manPages renders docs/man from the same sources users read: fetchsecure(1) from
// --help, fetchsecure.toml(5) from config.example.toml. `go generate
// ./cmd/fetchsecure` rewrites them; TestManPages fails when they are out of date.
func manPages(example string) map[string]string {
	help := usage()
	if p := defaultPath(); p != "" {
		help = strings.ReplaceAll(help, p, "~/.config/fetchsecure/config.toml")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		help = strings.ReplaceAll(help, home, "~")
	}
	return map[string]string{
		"fetchsecure.1":      manpage.Command(help),
		"fetchsecure.toml.5": manpage.Config(example),
	}
}
