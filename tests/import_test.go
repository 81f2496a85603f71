package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestImportedPreconnectFetchesThroughSSH is the fetchmail user's path: a .fetchmailrc
// with `preconnect 'ssh -L …'` is imported, and the imported config fetches through a
// real sshd with the in-process tunnel — no local port, no ssh program — into a maildir
// by procmail.
func TestImportedPreconnectFetchesThroughSSH(t *testing.T) {
	testlib.RequireServer(t, "procmail")
	w := newWorld(t)
	msgs := [][]byte{[]byte("Subject: one\r\n\r\nfirst\r\n"), []byte("Subject: two\r\n\r\n.\r\n..\r\n")}
	w.dc.Append(t, "alex", "INBOX", msgs...)
	sshd := testlib.StartSSHD(t, testlib.SSHDOptions{})
	key := testlib.NewSSHKey(t, w.dir, "ed25519", "")
	sshd.AuthorizeKey(key.Public)
	known := filepath.Join(w.dir, "known_hosts")
	os.WriteFile(known, []byte(sshd.KnownHostsLine()+"\n"), 0o600)
	rc := filepath.Join(w.dir, "procmailrc")
	os.WriteFile(rc, []byte("MAILDIR="+w.dir+"\nDEFAULT="+w.maildir+"/\n"), 0o600)

	fetchmailrc := filepath.Join(w.dir, "fetchmailrc")
	os.WriteFile(fetchmailrc, []byte(fmt.Sprintf(`
poll mail.internal via "localhost" with proto IMAP port 1236
    user "alex" there with password "%s" is %s here
    mda "/usr/bin/procmail -m %s"
    keep
  preconnect 'ssh -f -C -L 1236:127.0.0.1:%d -l %s -p %d -i %s -o UserKnownHostsFile=%s %s sleep 15'
`, password, sshd.User, rc, w.dc.IMAP, sshd.User, sshd.Port, key.Path, known, sshd.Host)), 0o600)

	imported := filepath.Join(w.dir, "imported.toml")
	r := testlib.Run(t, w.bin, "import-fetchmailrc", fetchmailrc, "-o", imported)
	if r.Code != 0 {
		t.Fatalf("import: exit %d\n%s", r.Code, r.Stderr)
	}
	cfg, _ := os.ReadFile(imported)
	if fi, _ := os.Stat(imported); fi.Mode().Perm() != 0o600 {
		t.Errorf("imported config has mode %v, want 0600", fi.Mode().Perm())
	}
	for _, want := range []string{"[tunnel.", `tls = "none"`, "keep = true", `"/usr/bin/procmail"`} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("imported config lacks %s:\n%s", want, cfg)
		}
	}
	// The importer cannot know the state directory of this test.
	os.WriteFile(imported, append([]byte(fmt.Sprintf("state_dir = %q\n", filepath.Join(w.dir, "state"))), cfg...), 0o600)
	if r := testlib.Run(t, w.bin, "check", "-c", imported); r.Code != 0 {
		t.Fatalf("check of the imported config: exit %d\n%s", r.Code, r.Stderr)
	}
	if r := testlib.Run(t, w.bin, "--once", "-c", imported); r.Code != 0 {
		t.Fatalf("fetch with the imported config: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	testlib.AssertSameMessages(t, w.delivered(), mapBytes(msgs, testlib.ExpectIMAP))
}

// TestSeedStateAvoidsRedelivery: a fetchmail user with `keep` switches; --seed-state
// marks what is on the server, so only mail that arrives later is delivered.
func TestSeedStateAvoidsRedelivery(t *testing.T) {
	w := newWorld(t)
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: old 1\r\n\r\nx\r\n"), []byte("Subject: old 2\r\n\r\ny\r\n"))
	w.writeConfig(w.imapAccount("work"))
	r := w.run("seed")
	if r.Code != 0 || !strings.Contains(string(r.Stdout), "work INBOX: 2 messages marked") {
		t.Fatalf("seed: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: new\r\n\r\nz\r\n"))
	w.mustRun(0)
	got := w.delivered()
	if len(got) != 1 || !strings.Contains(string(got[0]), "Subject: new") {
		t.Fatalf("after seeding, delivered %d messages, want only the new one", len(got))
	}
	if n := len(w.dc.Messages(t, "alex", "INBOX")); n != 3 {
		t.Fatalf("seeding must not delete: %d messages on the server, want 3", n)
	}
}
