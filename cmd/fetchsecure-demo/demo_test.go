package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fetchsecure/fetchsecure/internal/certgen"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

func TestMain(m *testing.M) { testlib.Main(m) }

// TestDemo runs the demo end to end against a freshly built fetchsecure, twice in the
// same directory: a second `make demo` must start afresh and pass again.
func TestDemo(t *testing.T) {
	bin := testlib.BuildBinary(t, "./cmd/fetchsecure")
	dir := filepath.Join(t.TempDir(), "demo")
	before := runtime.NumGoroutine()
	for i := range 2 {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-bin", bin, "-dir", dir}, &stdout, &stderr); code != 0 {
			t.Fatalf("run %d: exit %d\nstdout:\n%s\nstderr:\n%s", i+1, code, stdout.String(), stderr.String())
		}
		for _, want := range []string{
			"direct INBOX: 11 new, 11 delivered",
			"tunneled INBOX: 11 new, 11 delivered",
			"tunneled INBOX: 0 new, 0 delivered",
			"tunneled INBOX: 1 new, 1 delivered, 1 deleted",
			"Listening sockets: none.",
			"Demo OK.",
		} {
			if runtime.GOOS != "linux" && strings.HasPrefix(want, "Listening") {
				continue
			}
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("run %d: output lacks %q:\n%s", i+1, want, stdout.String())
			}
		}
	}
	assertFiles(t, filepath.Join(dir, "Maildir"), 14)
	assertFiles(t, filepath.Join(dir, "Maildir-ssh"), 12)
	if fi, err := os.Stat(filepath.Join(dir, "config.toml")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config.toml: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	waitGoroutines(t, before)
}

// assertFiles counts the messages a maildir holds, independently of the demo's checks.
func assertFiles(t *testing.T, root string, want int) {
	t.Helper()
	var n int
	for _, pattern := range []string{"new/*", "cur/*", ".*/new/*", ".*/cur/*"} {
		m, _ := filepath.Glob(filepath.Join(root, pattern))
		n += len(m)
	}
	if n != want {
		t.Errorf("%s holds %d messages, want %d", root, n, want)
	}
}

// waitGoroutines waits for the servers' goroutines to end: a closed connection's
// goroutine may need a moment to return.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left, %d before the demo:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDemoFailsClearly(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-bin", filepath.Join(t.TempDir(), "nope")}, &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "run `make demo`") {
		t.Errorf("missing binary: exit %d, stderr %q; want 2 and a hint", code, stderr.String())
	}
	falseBin, err := os.Stat("/bin/false")
	if err != nil || falseBin.IsDir() {
		t.Skip("no /bin/false")
	}
	stdout.Reset()
	stderr.Reset()
	code := run([]string{"-bin", "/bin/false", "-dir", t.TempDir()}, &stdout, &stderr)
	if want := "FAILED: fetchsecure check exited with 1"; code != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("failing binary: exit %d, stderr %q; want 1 and %q", code, stderr.String(), want)
	}
}

// TestSSHServerForwardsOnlyToIMAP checks that the demo's SSH server lends nobody a
// way into the machine: one key, one user, one destination.
func TestSSHServerForwardsOnlyToIMAP(t *testing.T) {
	ca, err := certgen.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := ca.Issue(certgen.Options{})
	mail, err := startMail(cert.TLSCertificate(), map[string]string{sshUser: sshPassword})
	if err != nil {
		t.Fatal(err)
	}
	defer mail.Close()
	key, other := newSigner(t), newSigner(t)
	srv, err := startSSH(sshUser, key.PublicKey(), tunnelDest, mail.pipes.dial, func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	if c, err := dialSSH(srv, sshUser, other); err == nil {
		c.Close()
		t.Error("a key the server does not know was let in")
	}
	if c, err := dialSSH(srv, "root", key); err == nil {
		c.Close()
		t.Error("another user name was let in")
	}
	c, err := dialSSH(srv, sshUser, key)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var open *ssh.OpenChannelError
	if _, err := c.Dial("tcp", srv.addr); !errors.As(err, &open) || open.Reason != ssh.Prohibited {
		t.Errorf("forward to the SSH server's own port: %v, want administratively prohibited", err)
	}
	if _, _, err := c.OpenChannel("session", nil); !errors.As(err, &open) || open.Reason != ssh.Prohibited {
		t.Errorf("session channel: %v, want administratively prohibited", err)
	}
	conn, err := c.Dial("tcp", tunnelDest)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	greeting, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(greeting, "* OK") {
		t.Fatalf("greeting through the tunnel: %q, %v", greeting, err)
	}
}

func newSigner(t *testing.T) ssh.Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func dialSSH(srv *sshServer, user string, key ssh.Signer) (*ssh.Client, error) {
	return ssh.Dial("tcp", srv.addr, &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: ssh.FixedHostKey(srv.hostKey), Timeout: 10 * time.Second})
}

// TestSocketsOf checks the /proc reader on this very process: a listener must show
// as listening and a connection with its peer.
func TestSocketsOf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads Linux's /proc")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	socks, err := socketsOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var listening, connected bool
	for _, s := range socks {
		listening = listening || (s.listening && s.local == ln.Addr().String())
		connected = connected || (s.local == c.LocalAddr().String() && s.remote == ln.Addr().String())
	}
	if !listening || !connected {
		t.Fatalf("sockets %v: listening %s found %v, connection %s found %v", socks, ln.Addr(), listening, c.LocalAddr(), connected)
	}
}

func TestHexAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000000000000000000001000000:0016": "[::1]:22",
		"0000000000000000FFFF00000100007F:03E1": "127.0.0.1:993",
		"garbage":                               "garbage",
	} {
		if got := hexAddr(in); got != want {
			t.Errorf("hexAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
