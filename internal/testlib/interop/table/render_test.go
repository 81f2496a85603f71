package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib/interop"
)

func TestRenderAndSplice(t *testing.T) {
	entries := []interop.Entry{
		{Result: &interop.Result{Server: "S", Protocol: "IMAP", TLS: "TLS", Via: "direct", Mode: "keep", Outcome: "FAIL", Detail: "run 1: exit 7"}},
		{Result: &interop.Result{Server: "S", Protocol: "IMAP", TLS: "TLS", Via: "direct", Mode: "keep", Outcome: "pass"}},
		{Result: &interop.Result{Server: "S", Protocol: "POP3", TLS: "STARTTLS", Via: "direct", Mode: "NUL", Outcome: "FAIL", Detail: "a|b"}},
		{Result: &interop.Result{Server: "M", Protocol: "SMTP", TLS: "none", Via: "local", Mode: "4xx", Outcome: "pass"}},
		{Caps: &interop.Caps{Server: "S", Protocol: "IMAP", Caps: []string{"IDLE", "UIDPLUS"}, Greeting: "* OK [CAPABILITY IMAP4rev1] hi"}},
		{Caps: &interop.Caps{Server: "P", Protocol: "POP3"}},
	}
	out := render(entries)
	for _, want := range []string{
		"| S | IMAP | TLS | direct | pass | – | – | – |", // the later result wins
		"| S | POP3 | STARTTLS | direct | – | – | **FAIL** | – |",
		"| M | SMTP | – | pass | – |",
		"| S | IMAP | no | yes | yes | no | no | n/a | n/a | no | `* OK hi` |",
		"nothing announced",
		"- S POP3 STARTTLS direct, NUL: a/b",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered tables lack %q:\n%s", want, out)
		}
	}
	doc := filepath.Join(t.TempDir(), "servers.md")
	if err := os.WriteFile(doc, []byte("intro\n"+begin+"\nold\n"+end+"\nrest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := splice(doc, "NEW\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(doc)
	if want := "intro\n" + begin + "\n\nNEW\n\n" + end + "\nrest\n"; string(got) != want {
		t.Errorf("spliced document:\n%s\nwant:\n%s", got, want)
	}
	if err := splice(filepath.Join(t.TempDir(), "none.md"), "x"); err == nil {
		t.Error("splice into a missing file succeeded")
	}
}
