package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// sshWorld adds a real sshd with an authorised client key to a world.
type sshWorld struct {
	*world
	sshd  *testlib.SSHD
	key   *testlib.SSHKey
	known string
}

func newSSHWorld(t *testing.T) *sshWorld {
	w := &sshWorld{world: newWorld(t)}
	w.key = testlib.NewSSHKey(t, w.dir, "ed25519", "")
	w.known = filepath.Join(w.dir, "known_hosts")
	w.startSSHD(t)
	return w
}

func (w *sshWorld) startSSHD(t *testing.T) {
	w.sshd = testlib.StartSSHD(t, testlib.SSHDOptions{})
	w.sshd.AuthorizeKey(w.key.Public)
}

func (w *sshWorld) trustSSHD() {
	os.WriteFile(w.known, []byte(w.sshd.KnownHostsLine()+"\n"), 0o600)
}

func (w *sshWorld) tunnel(extra ...string) string {
	return testlib.ConfigTable([]string{
		"[tunnel.home]",
		fmt.Sprintf("host = %q", w.sshd.Host),
		fmt.Sprintf("port = %d", w.sshd.Port),
		fmt.Sprintf("user = %q", w.sshd.User),
		fmt.Sprintf("identity_file = %q", w.key.Path),
		fmt.Sprintf("known_hosts = %q", w.known),
	}, extra)
}

// tunneledIMAP is the Debian manual's setup: plaintext IMAP to the mail server's own
// port 143, inside SSH.
func (w *sshWorld) tunneledIMAP(extra ...string) string {
	return w.imapAccount("debian", append([]string{`tunnel = "home"`, `host = "127.0.0.1"`,
		fmt.Sprintf("port = %d", w.dc.IMAP), `tls = "none"`, "-ca_file"}, extra...)...)
}

func TestSSHTunnelByteExact(t *testing.T) {
	w := newSSHWorld(t)
	w.trustSSHD()
	nasty := messages(testlib.Nasty())
	w.dc.Append(t, "alex", "INBOX", nasty...)
	w.writeConfig(w.tunnel(), w.tunneledIMAP())
	r := w.mustRun(0, "-v")
	testlib.AssertSameMessages(t, w.delivered(), mapBytes(nasty, testlib.ExpectIMAP))
	if !strings.Contains(string(r.Stderr), "SSH tunnel") {
		t.Errorf("-v does not show the tunnel:\n%s", r.Stderr)
	}
	if raw := testlib.ReadMaildir(t, w.maildir); !bytes.Contains(raw[0].Data, []byte("SSH tunnel via home")) {
		t.Errorf("the Received: header does not say the message came through the tunnel")
	}
}

func TestSSHUnknownHostThenTrustHost(t *testing.T) {
	w := newSSHWorld(t)
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: x\r\n\r\nx\r\n"))
	w.writeConfig(w.tunnel(), w.tunneledIMAP())
	r := w.mustRun(6)
	if !strings.Contains(string(r.Stderr), "fetchsecure trust-host home") || !strings.Contains(string(r.Stderr), "SHA256:") {
		t.Fatalf("unknown host: the error should give the fingerprint and the command:\n%s", r.Stderr)
	}
	tr := w.run("trust-host", "--yes", "home")
	if tr.Code != 0 || !strings.Contains(string(tr.Stdout), "SHA256:") {
		t.Fatalf("trust-host: exit %d\n%s%s", tr.Code, tr.Stdout, tr.Stderr)
	}
	w.mustRun(0)
	if len(w.delivered()) != 1 {
		t.Fatal("nothing delivered after trusting the host")
	}
	// A changed host key (a new server on the same address) is refused loudly.
	// The new sshd has other host keys; its record in known_hosts is the old server's
	// key moved to the new port, as if the server at that address had changed.
	w.sshd.Kill()
	old := w.sshd.Port
	w.startSSHD(t)
	known, _ := os.ReadFile(w.known)
	os.WriteFile(w.known, []byte(strings.Replace(string(known), fmt.Sprintf("]:%d ", old), fmt.Sprintf("]:%d ", w.sshd.Port), 1)), 0o600)
	w.writeConfig(w.tunnel(), w.tunneledIMAP())
	r = w.mustRun(6)
	if !strings.Contains(strings.ToUpper(string(r.Stderr)), "CHANGED") {
		t.Fatalf("changed host key: the error should say so loudly:\n%s", r.Stderr)
	}
}

// TestSSHDKilledMidFetch: the tunnel dies under a large fetch; the run fails cleanly,
// nothing is lost or deleted undelivered, and the next run completes.
func TestSSHDKilledMidFetch(t *testing.T) {
	w := newSSHWorld(t)
	w.trustSSHD()
	var msgs [][]byte
	for m := range testlib.BenchMailbox(7, 400) {
		msgs = append(msgs, m.Data)
	}
	w.dc.Append(t, "alex", "INBOX", msgs...)
	acct := w.tunneledIMAP("keep = false")
	w.writeConfig(w.tunnel(), acct)

	cmd := exec.Command(w.bin, "-c", w.config, "--once")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, func() bool { return countFiles(filepath.Join(w.maildir, "new")) >= 20 })
	w.sshd.Kill()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		t.Fatal("fetchsecure did not notice the dead tunnel")
	}
	if cmd.ProcessState.ExitCode() == 0 && countFiles(filepath.Join(w.maildir, "new")) < len(msgs) {
		t.Fatalf("exit 0 although the tunnel died mid-fetch:\n%s", stderr.String())
	}
	w.startSSHD(t)
	w.trustSSHD()
	w.writeConfig(w.tunnel(), acct)
	w.mustRun(0)
	testlib.AssertSameMessages(t, w.delivered(), mapBytes(msgs, testlib.ExpectIMAP))
	if left := w.dc.Messages(t, "alex", "INBOX"); len(left) != 0 {
		t.Fatalf("%d messages left on the server after the completing run", len(left))
	}
}

// TestTunnelCommandPREAUTH is mbsync's `Tunnel "ssh host /usr/lib/dovecot/imap"`: the
// server process speaks IMAP on stdin/stdout, already logged in.
func TestTunnelCommandPREAUTH(t *testing.T) {
	w := newWorld(t)
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: preauth\r\n\r\nx\r\n"))
	doveadm := testlib.RequireServer(t, "doveadm")
	w.writeConfig(w.imapAccount("cmd",
		fmt.Sprintf("tunnel_command = [%q, \"-c\", %q, \"exec\", \"imap\", \"-u\", \"alex\"]", doveadm, w.dc.Config),
		`tls = "none"`, "-ca_file"))
	w.mustRun(0)
	if len(w.delivered()) != 1 {
		t.Fatal("nothing delivered through the PREAUTH command tunnel")
	}
}

func countFiles(dir string) int {
	entries, _ := os.ReadDir(dir)
	return len(entries)
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
