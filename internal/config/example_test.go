package config

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const example = "../../config.example.toml"

// The example loads as it is. Load runs no command, and none of its paths need exist.
func TestExampleLoads(t *testing.T) {
	cfg, err := Load(example)
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	if len(cfg.Accounts) != 1 || cfg.Accounts[0].Target.Kind != Maildir ||
		len(cfg.Accounts[0].Password.Command) == 0 {
		t.Errorf("the working account is not IMAP+password_command+maildir: %+v", cfg.Accounts)
	}
}

// The commented examples load too once uncommented, with their files present.
func TestExampleCommentedAccountsLoad(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	pw := filepath.Join(home, ".config", "fetchsecure", "isp.pass")
	if err := os.MkdirAll(filepath.Dir(pw), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pw, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, uncommentExamples(string(b)))
	var kinds []string
	for _, a := range cfg.Accounts {
		kinds = append(kinds, a.Protocol.String()+"/"+a.Target.Kind.String())
	}
	want := []string{"imap/maildir", "pop3/mda", "imap/maildir", "imap/mbox", "imap/lmtp", "imap/smtp"}
	if !slices.Equal(kinds, want) || cfg.Tunnels["bastion"] == nil {
		t.Errorf("accounts %v, want %v; tunnels %v", kinds, want, cfg.Tunnels)
	}
}

var (
	exampleHeader = regexp.MustCompile(`^# \[(account|tunnel)\.`)
	exampleKey    = regexp.MustCompile(`^# [a-z_0-9]+ = `)
)

// uncommentExamples uncomments the example tables ("# [account.x]" and the "# key = "
// lines that follow, up to a line that is not a comment).
func uncommentExamples(s string) string {
	lines := strings.Split(s, "\n")
	in := false
	for i, l := range lines {
		switch {
		case exampleHeader.MatchString(l):
			in = true
		case !strings.HasPrefix(l, "#") || strings.HasPrefix(l, "# ---"):
			in = false
		}
		if in && (exampleHeader.MatchString(l) || exampleKey.MatchString(l)) {
			lines[i] = l[2:]
		}
	}
	return strings.Join(lines, "\n")
}

// Every key of the schema appears in the example.
func TestExampleHasEveryKey(t *testing.T) {
	b, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Concat(topKeys, accountKeys, tunnelKeys) {
		if k == "account" || k == "tunnel" {
			continue
		}
		if !regexp.MustCompile(`(?m)^[# ]*` + k + ` = `).Match(b) {
			t.Errorf("config.example.toml does not show %s", k)
		}
	}
}
