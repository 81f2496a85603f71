package manpage

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const help = `Usage:
  fetchsecure --once [-c FILE]   fetch every account once and exit
  fetchsecure COMMAND [flags]

Commands:
  check              validate the configuration

Flags:
  -c, --config FILE    configuration (default ~/.config/fetchsecure/config.toml)
      --once           fetch once and exit

Exit codes:
  0  success
  10 a message could not be delivered
`

func TestParseHelp(t *testing.T) {
	b := parseHelp(help)
	if got := block(b, "Usage"); len(got) != 2 || got[0].term != "fetchsecure --once [-c FILE]" || got[1].text != "" {
		t.Errorf("Usage: %+v", got)
	}
	if got := block(b, "Flags"); len(got) != 2 || got[0].term != "-c, --config FILE" || got[1].term != "--once" {
		t.Errorf("Flags: %+v", got)
	}
	if got := block(b, "Exit codes"); len(got) != 2 || got[1].term != "10" || got[1].text != "a message could not be delivered" {
		t.Errorf("Exit codes: %+v", got)
	}
}

func TestParseExample(t *testing.T) {
	intro, keys := parseExample(`# Intro line one
# line two

# state_dir = "~/state"   # where the state lives
[account.work]
protocol = "imap"     # "imap" or "pop3"
# tls = "tls"         # first part
#                     # second part
# pin = "x"           # compute with:
#   openssl a |
#     openssl b
#   host_key = "k"    # an inline pin
# [tunnel.bastion]
# host = "b"          # (required)
# [account.other]
# protocol = "pop3"
`)
	if intro != "Intro line one\nline two" {
		t.Errorf("intro %q", intro)
	}
	want := []key{
		{"", "state_dir", `"~/state"`, "where the state lives"},
		{"account", "protocol", `"imap"`, `"imap" or "pop3"`},
		{"account", "tls", `"tls"`, "first part second part"},
		{"account", "pin", `"x"`, "compute with:\n  openssl a |\n    openssl b"},
		{"account", "host_key", `"k"`, "an inline pin"},
		{"tunnel", "host", `"b"`, "(required)"},
	}
	if len(keys) != len(want) {
		t.Fatalf("keys %+v", keys)
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Errorf("key %d = %+v, want %+v", i, keys[i], want[i])
		}
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		`.starts with a dot`: `\&.starts with a dot`,
		`'quote`:             `\&'quote`,
		`a\b --flag`:         `a\eb \-\-flag`,
		`≥ 1 — ok`:           `\[u2265] 1 \[u2014] ok`,
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := markup("run `fetchsecure wake` now"); got != `run \fBfetchsecure wake\fR now` {
		t.Errorf("markup: %q", got)
	}
}

// TestGroffReadsThePages: groff, where installed, formats both pages without a
// warning.
func TestGroffReadsThePages(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff is not installed")
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, page := range map[string]string{"fetchsecure.1": Command(help), "fetchsecure.toml.5": Config(string(example))} {
		cmd := exec.Command(groff, "-man", "-ww", "-z")
		cmd.Stdin = strings.NewReader(page)
		out, err := cmd.CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("groff on %s: %v\n%s", name, err, out)
		}
	}
}
