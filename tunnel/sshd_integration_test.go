package tunnel

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// These tests run the tunnel against the real OpenSSH server (internal/testlib). The
// known_hosts they write holds only the ED25519 host key while sshd also has an ECDSA
// one, so every test also proves the algorithm trap is avoided.

// realTunnel returns options for reaching s, authorizing key (if not nil).
func realTunnel(t *testing.T, s *testlib.SSHD, name string, key *testlib.SSHKey) *SSHOptions {
	t.Helper()
	o := &SSHOptions{Name: name, Host: s.Host, Port: s.Port, User: s.User,
		KnownHosts: []string{writeKnownHosts(t, strings.TrimSpace(s.KnownHostsLine()))}, Timeout: 20 * time.Second}
	if key != nil {
		s.AuthorizeKey(key.Public)
		o.IdentityFiles = []string{key.Path}
	}
	return o
}

// realDial dials target through tunnel name and checks the stream with an echo.
func realDial(t *testing.T, d *Dialer, name string, target *server, s *testlib.SSHD) {
	t.Helper()
	c, err := viaTunnel(t, d, name, target)
	if err != nil {
		t.Fatalf("%v\nsshd log:\n%s", err, s.Log())
	}
	roundTrip(t, c, "through OpenSSH "+name)
	c.Close()
}

func TestSSHDKeyFiles(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := testlib.StartSSHD(t, testlib.SSHDOptions{})
	target := serve(t, echo)
	for _, kind := range []string{"ed25519", "ecdsa", "rsa"} {
		o := realTunnel(t, s, kind, testlib.NewSSHKey(t, t.TempDir(), kind, ""))
		realDial(t, newDialer(t, o), kind, target, s)
	}
}

func TestSSHDEncryptedKey(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := testlib.StartSSHD(t, testlib.SSHDOptions{})
	o := realTunnel(t, s, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", "open sesame"))
	pass := tempFile(t, "pass")
	os.WriteFile(pass, []byte("open sesame\n"), 0o600)
	o.PassphraseCommand = []string{"cat", pass}
	realDial(t, newDialer(t, o), "home", serve(t, echo), s)
}

func TestSSHDAgent(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := testlib.StartSSHD(t, testlib.SSHDOptions{})
	key := testlib.NewSSHKey(t, t.TempDir(), "rsa", "")
	startAgent(t, key)
	s.AuthorizeKey(key.Public)
	o := realTunnel(t, s, "home", nil)
	realDial(t, newDialer(t, o), "home", serve(t, echo), s)
	if !strings.Contains(s.Log(), "Accepted publickey for "+s.User+" from 127.0.0.1") ||
		!strings.Contains(s.Log(), "RSA SHA256:") {
		t.Errorf("sshd did not log an RSA login:\n%s", s.Log())
	}
}

func TestSSHDUnknownHost(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := testlib.StartSSHD(t, testlib.SSHDOptions{})
	o := realTunnel(t, s, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	o.KnownHosts = []string{writeKnownHosts(t)}
	_, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Security, ssh.FingerprintSHA256(s.HostKeys[0]), "trust-host home")

	got, err := ScanHostKey(ctx(t), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := AppendKnownHost(o.KnownHosts[0], o.Host, o.Port, got); err != nil {
		t.Fatal(err)
	}
	realDial(t, newDialer(t, o), "home", serve(t, echo), s)
}

func TestSSHDChangedHostKey(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := testlib.StartSSHD(t, testlib.SSHDOptions{})
	o := realTunnel(t, s, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	other := testlib.NewHostSigner(t, "ed25519").PublicKey()
	o.KnownHosts = []string{writeKnownHosts(t, "[127.0.0.1]:"+itoa(s.Port)+" "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other))))}
	_, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Security, "REMOTE HOST KEY CHANGED", ssh.FingerprintSHA256(s.HostKeys[0]))
}

func TestSSHDWrongKey(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := testlib.StartSSHD(t, testlib.SSHDOptions{})
	s.AuthorizeKey(testlib.NewSSHKey(t, t.TempDir(), "ed25519", "").Public)
	o := realTunnel(t, s, "home", nil)
	wrong := testlib.NewSSHKey(t, t.TempDir(), "ecdsa", "")
	o.IdentityFiles = []string{wrong.Path}
	_, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Auth, s.User+"@127.0.0.1:"+itoa(s.Port), ssh.FingerprintSHA256(wrong.Public))
}

func TestSSHDForwardingRefused(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := testlib.StartSSHD(t, testlib.SSHDOptions{NoForwarding: true})
	o := realTunnel(t, s, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	target := serve(t, echo)
	_, err := viaTunnel(t, newDialer(t, o), "home", target)
	wantKind(t, err, fail.Config, "refused to forward to "+target.addr(), "AllowTcpForwarding")
}

// TestSSHDJump goes through one sshd to reach another.
func TestSSHDJump(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	key := testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")
	bastion, inner := testlib.StartSSHD(t, testlib.SSHDOptions{}), testlib.StartSSHD(t, testlib.SSHDOptions{})
	ob, oi := realTunnel(t, bastion, "bastion", key), realTunnel(t, inner, "inner", key)
	oi.Jump = "bastion"
	d := newDialer(t, ob, oi)
	realDial(t, d, "inner", serve(t, echo), inner)
	if !strings.Contains(bastion.Log(), "Accepted publickey") || !strings.Contains(inner.Log(), "Accepted publickey") {
		t.Errorf("both hops should have logged a login")
	}
}

// TestSSHDKilled: sshd dies (SIGKILL, sessions included) in the middle of a stream. The
// read in flight ends with a clear error, and the next Dial fails cleanly.
func TestSSHDKilled(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := testlib.StartSSHD(t, testlib.SSHDOptions{})
	o := realTunnel(t, s, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	o.Keepalive = time.Second
	chunk := make([]byte, 16<<10)
	source := serve(t, func(c net.Conn) {
		defer c.Close()
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	d := newDialer(t, o)
	c, err := viaTunnel(t, d, "home", source)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	var rerr error
	within(t, 20*time.Second, "reading after sshd was killed", func() {
		_, rerr = io.Copy(io.Discard, c)
		if rerr == nil {
			rerr = io.ErrUnexpectedEOF
		}
	})
	wantKind(t, rerr, fail.Temporary, "tunnel home")
	_, err = viaTunnel(t, d, "home", source)
	wantKind(t, err, fail.Temporary, "TCP connect to 127.0.0.1:"+itoa(s.Port), "refused")
}

// TestSSHDNoListeningSocket: forwarding is done with channels inside the process; no
// local port is ever opened, so no other local user can ride the tunnel.
func TestSSHDNoListeningSocket(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := testlib.StartSSHD(t, testlib.SSHDOptions{})
	o := realTunnel(t, s, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	target := serve(t, echo) // the test's own listener, opened before the snapshot
	before := ourListeners(t)
	if !slices.ContainsFunc(before, func(e string) bool { return strings.Contains(e, listenEntry(target.l)+" ") }) {
		t.Fatalf("the snapshot does not see the test's own listener: %v", before)
	}
	d := newDialer(t, o)
	c, err := viaTunnel(t, d, "home", target)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "no listener")
	if during := ourListeners(t); !slices.Equal(before, during) {
		t.Errorf("listening sockets before %v, with the tunnel open %v", before, during)
	}
}

// ourListeners lists the TCP sockets in LISTEN state that this process holds, as
// "address inode": /proc/net/tcp{,6} entries whose inode is one of our descriptors.
func ourListeners(t *testing.T) []string {
	t.Helper()
	mine := map[string]bool{}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(l, "socket:[") {
			mine[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var out []string
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 9 && fields[3] == "0A" && mine[fields[9]] {
				out = append(out, fields[1]+" "+fields[9])
			}
		}
		f.Close()
	}
	slices.Sort(out)
	return out
}

// listenEntry is how ourListeners shows the listener l: its local port in hex, as
// /proc/net/tcp writes it.
func listenEntry(l net.Listener) string {
	return fmt.Sprintf(":%04X", l.Addr().(*net.TCPAddr).Port)
}
