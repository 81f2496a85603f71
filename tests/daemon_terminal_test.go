package tests

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestOnceProgressOnTerminal: --once on a terminal draws a progress line per folder
// (messages and bytes) and clears it before the summary; with output to a pipe, as
// under cron, it draws none.
func TestOnceProgressOnTerminal(t *testing.T) {
	script, err := exec.LookPath("script") // util-linux: runs a command on a pseudo-terminal
	if err != nil {
		t.Skip("script(1) is not installed")
	}
	w := newWorld(t)
	w.dc.CreateFolder(t, "alex", "Lists/go")
	var msgs [][]byte
	for m := range testlib.BenchMailbox(3, 40) {
		msgs = append(msgs, m.Data)
	}
	w.dc.Append(t, "alex", "INBOX", msgs[:30]...)
	w.dc.Append(t, "alex", "Lists/go", msgs[30:]...)
	w.writeConfig(w.imapAccount("alex", `folders = ["INBOX", "Lists/go"]`))

	cmd := exec.Command(script, "-qec", fmt.Sprintf("%s --once -c %s", w.bin, w.config), "/dev/null")
	r := testlib.RunCommand(t, cmd, testlib.RunTimeout)
	out := string(r.Stdout)
	if r.Code != 0 || !strings.Contains(out, "alex INBOX: 30/30 messages, ") ||
		!strings.Contains(out, "alex Lists/go: 10/10 messages, ") || !strings.Contains(out, "\r\x1b[K") {
		t.Errorf("on a terminal: %q", out)
	}
	if !strings.Contains(out, "alex INBOX: 30 new, 30 delivered") {
		t.Errorf("no summary after the progress: %q", out)
	}

	w.dc.Append(t, "alex", "INBOX", msgs[:5]...)
	r = w.mustRun(0)
	if bytes.Contains(r.Stderr, []byte("\x1b[")) || bytes.Contains(r.Stdout, []byte("\x1b[")) {
		t.Errorf("terminal control sequences without a terminal:\n%q\n%q", r.Stdout, r.Stderr)
	}
}
