package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestDaemonSIGTERMMidFetchLosesNothing: SIGTERM in the middle of a large fetch in
// delete mode stops the daemon within seconds; the next run delivers the rest, and
// every message ends up in the maildir exactly once and off the server.
func TestDaemonSIGTERMMidFetchLosesNothing(t *testing.T) {
	w := newWorld(t)
	const n = 1500
	var want [][]byte
	var batch [][]byte
	for m := range testlib.BenchMailbox(7, n) {
		want = append(want, testlib.ExpectIMAP(m.Data))
		if batch = append(batch, m.Data); len(batch) == 100 {
			w.dc.Append(t, "alex", "INBOX", batch...)
			batch = nil
		}
	}
	w.dc.Append(t, "alex", "INBOX", batch...)
	w.writeConfig(w.imapAccount("alex", "keep = false", "idle = false"))
	d := w.startDaemon()
	eventually(t, "the first messages to arrive", func() bool { return maildirCount(w.maildir) > 0 }, d)
	code, took := d.stop()
	mid := maildirCount(w.maildir)
	t.Logf("SIGTERM after %d of %d messages; the daemon exited %d after %v", mid, n, code, took.Round(time.Millisecond))
	if code != 0 || took > 10*time.Second {
		t.Errorf("SIGTERM: exit %d after %v, want 0 within seconds\n%s", code, took, d.out.String())
	}
	if mid == n {
		t.Logf("the fetch finished before SIGTERM arrived; the test proved less than it could")
	}
	w.mustRun(0)
	testlib.AssertSameMessages(t, mapBytes(w.delivered(), testlib.StripTrace), want)
	if left := len(w.dc.Messages(t, "alex", "INBOX")); left != 0 {
		t.Errorf("%d messages left on the server after the second run", left)
	}
	if tmp := testlib.MaildirTmp(t, w.maildir); len(tmp) != 0 {
		t.Errorf("files left in tmp/: %v", tmp)
	}
}

// TestDaemonReload: SIGHUP with a good configuration starts the new account and keeps
// the old one watching; SIGHUP with a broken one is reported and changes nothing.
func TestDaemonReload(t *testing.T) {
	w := newWorld(t)
	w.dc.AddUser(t, "sam", "sam-Pa55")
	mdB := filepath.Join(w.dir, "B")
	sams := w.imapAccount("sam", fmt.Sprintf("maildir = %q", mdB), `user = "sam"`, `password = "sam-Pa55"`)
	w.dc.Append(t, "sam", "INBOX", []byte("Subject: waiting for sam\n\nx\n"))
	w.writeConfig(`poll_interval = "1h"`+"\n", w.imapAccount("alex"))
	d := w.startDaemon()
	eventually(t, "IDLE on alex's INBOX", func() bool { return w.watching(map[string][]string{"alex": {"INBOX"}}) }, d)

	w.writeConfig(`poll_interval = "1h"`+"\n", w.imapAccount("alex"), sams)
	d.signal(syscall.SIGHUP)
	d.waitNote("RELOADING=1")
	d.waitNote("READY=1")
	eventually(t, "sam's mail after the reload", func() bool { return maildirCount(mdB) == 1 }, d)
	d.waitLog("configuration reloaded")
	if strings.Contains(d.out.String(), "IDLE connection lost") {
		t.Errorf("the reload disturbed alex's unchanged account:\n%s", d.out.String())
	}

	if err := os.WriteFile(w.config, []byte("[account.broken]\nprotocol = \"imap\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.signal(syscall.SIGHUP)
	d.waitLog("configuration not reloaded")
	if !strings.Contains(d.out.String(), "config.toml:") {
		t.Errorf("the bad configuration's problems are not reported with file:line:\n%s", d.out.String())
	}
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: after a bad reload\n\nx\n"))
	eventually(t, "alex's mail after the bad reload", func() bool { return maildirCount(w.maildir) == 1 }, d)
	w.dc.Append(t, "sam", "INBOX", []byte("Subject: sam again\n\nx\n"))
	eventually(t, "sam's mail after the bad reload", func() bool { return maildirCount(mdB) == 2 }, d)
	if code, _ := d.stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestDaemonServerRestart: the server restarts under the daemon; the watch reconnects
// by itself and mail is delivered again within seconds.
func TestDaemonServerRestart(t *testing.T) {
	w := newWorld(t)
	w.writeConfig(`poll_interval = "1h"`+"\n", w.imapAccount("alex"))
	d := w.startDaemon()
	watching := func() bool { return w.watching(map[string][]string{"alex": {"INBOX"}}) }
	eventually(t, "IDLE on INBOX", watching, d)
	w.dc.Restart(t)
	d.waitLog("IDLE connection lost")
	eventually(t, "IDLE again after the restart", watching, d)
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: after the restart\n\nx\n"))
	eventually(t, "mail after the restart", func() bool { return maildirCount(w.maildir) == 1 }, d)
}
