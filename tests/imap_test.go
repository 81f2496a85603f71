package tests

import (
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

func TestIMAPKeepModeByteExact(t *testing.T) {
	w := newWorld(t)
	nasty := messages(testlib.Nasty())
	w.dc.Append(t, "alex", "INBOX", nasty...)
	w.writeConfig(w.imapAccount("work"))

	r := w.mustRun(0)
	t.Logf("first run:\n%s%s", r.Stdout, r.Stderr)
	if !strings.Contains(string(r.Stdout), "work INBOX: ") || !strings.Contains(string(r.Stdout), " delivered") {
		t.Errorf("summary line missing:\n%s", r.Stdout)
	}
	testlib.AssertSameMessages(t, w.delivered(), mapBytes(nasty, testlib.ExpectIMAP))
	for _, d := range testlib.ReadMaildir(t, w.maildir) {
		if d.Mode.Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", d.Name, d.Mode.Perm())
		}
	}
	if n := len(w.dc.Messages(t, "alex", "INBOX")); n != len(nasty) {
		t.Fatalf("keep mode left %d messages on the server, want %d", n, len(nasty))
	}

	r = w.mustRun(0)
	if len(r.Stdout) != 0 {
		t.Errorf("a run with nothing new must be silent under cron, printed:\n%s", r.Stdout)
	}
	r = w.mustRun(0, "-v")
	if !strings.Contains(string(r.Stdout), "work INBOX: 0 new, 0 delivered") {
		t.Errorf("-v must report a folder with nothing new:\n%s", r.Stdout)
	}
	if got := len(w.delivered()); got != len(nasty) {
		t.Fatalf("second run: %d messages in the maildir, want %d", got, len(nasty))
	}
	if strings.Contains(string(r.Stdout)+string(r.Stderr), password) {
		t.Fatal("the password appears in the output")
	}
}
