package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestDaemonIdleTwoAccountsTwoFolders: a daemon IDLE-ing on two folders of each of
// two accounts delivers mail that arrives in any of them within seconds, although
// the poll interval is an hour; `status`, `wake`, `--once` and desktop
// notifications behave while it runs.
func TestDaemonIdleTwoAccountsTwoFolders(t *testing.T) {
	w := newWorld(t)
	w.dc.AddUser(t, "sam", "sam-Pa55")
	for _, u := range []string{"alex", "sam"} {
		w.dc.CreateFolder(t, u, "Lists/go")
	}
	notes := filepath.Join(w.dir, "notifications")
	script := filepath.Join(w.dir, "notify.sh")
	writeExec(t, script, "#!/bin/sh\nprintf '%s|%s\\n' \"$2\" \"$FETCHSECURE_COUNT\" >> "+notes+"\n")
	mdA, mdB := filepath.Join(w.dir, "A"), filepath.Join(w.dir, "B")
	folders := `folders = ["INBOX", "Lists/go"]`
	w.writeConfig(`poll_interval = "1h"`+"\n",
		w.imapAccount("alex", folders, fmt.Sprintf("maildir = %q", mdA),
			"notify = true", fmt.Sprintf("notify_command = [%q, \"New mail\"]", script)),
		w.imapAccount("sam", folders, fmt.Sprintf("maildir = %q", mdB),
			`user = "sam"`, `password = "sam-Pa55"`))
	d := w.startDaemon()
	want := map[string][]string{"alex": {"INBOX", "Lists/go"}, "sam": {"INBOX", "Lists/go"}}
	eventually(t, "IDLE on four folders", func() bool { return w.watching(want) }, d)

	var sent [][]byte
	for i, c := range []struct{ user, folder, md string }{
		{"alex", "INBOX", mdA}, {"sam", "Lists/go", mdB}, {"alex", "Lists/go", mdA}, {"sam", "INBOX", mdB},
	} {
		msg := fmt.Appendf(nil, "From: Ann Example <ann@example.org>\nSubject: idle %d\nMessage-ID: <idle%d@example.org>\n\nhello %d\n", i, i, i)
		sent = append(sent, msg)
		start := time.Now()
		before := maildirCount(c.md)
		w.dc.Append(t, c.user, c.folder, msg)
		eventually(t, fmt.Sprintf("mail in %s/%s to be delivered", c.user, c.folder),
			func() bool { return maildirCount(c.md) == before+1 }, d)
		t.Logf("%s/%s: delivered %v after the append", c.user, c.folder, time.Since(start).Round(time.Millisecond))
	}
	got := append(testlib.Contents(testlib.ReadMaildir(t, mdA)), testlib.Contents(testlib.ReadMaildir(t, mdB))...)
	testlib.AssertSameMessages(t, mapBytes(got, testlib.StripTrace), mapBytes(sent, testlib.ExpectIMAP))

	var out string
	eventually(t, "status to show both accounts", func() bool {
		out = string(w.sub("status").Stdout)
		return strings.Contains(out, "daemon running") && strings.Count(out, "IDLE") == 4 &&
			strings.Contains(out, "alex: ok") && strings.Contains(out, "sam: ok") &&
			strings.Count(out, "; 2 fetched") == 2
	}, d)
	t.Logf("fetchsecure status:\n%s", out)
	if m := statusJSON(t, w.sub("status", "--json")); m["running"] != true || m["mode"] != "daemon" {
		t.Errorf("status --json: %v", m)
	}
	if r := w.mustRun(8); !strings.Contains(string(r.Stderr), "fetchsecure wake") {
		t.Errorf("--once while the daemon runs: want a hint at `fetchsecure wake`:\n%s", r)
	}
	if r := w.sub("wake"); r.Code != 0 || !strings.Contains(string(r.Stdout), "woke") {
		t.Errorf("wake: %s", r)
	}
	d.waitLog("woken up")
	eventually(t, "two desktop notifications for alex", func() bool {
		b, _ := os.ReadFile(notes)
		return strings.Count(string(b), "1 new message (alex): Ann Example|1") == 2
	}, d)
	if code, took := d.stop(); code != 0 || took > 10*time.Second {
		t.Errorf("SIGTERM: exit %d after %v, want 0 within seconds", code, took)
	}
	if r := w.sub("status"); !strings.Contains(string(r.Stdout), "not running") {
		t.Errorf("status after the daemon stopped:\n%s", r)
	}
	if r := w.sub("wake"); r.Code == 0 {
		t.Errorf("wake without a daemon succeeded: %s", r)
	}
}

func writeExec(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
}
