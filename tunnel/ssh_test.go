package tunnel

import (
	"crypto/rand"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// viaTunnel dials the echo server target through tunnel name of d.
func viaTunnel(t *testing.T, d *Dialer, name string, target *server) (*Conn, error) {
	t.Helper()
	c, err := d.Dial(ctx(t), Endpoint{Host: "127.0.0.1", Port: target.port(), Mode: ModeNone, Via: name,
		Timeout: 10 * time.Second})
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// newDialer returns a dialer with the tunnels, closed when the test ends.
func newDialer(t *testing.T, tunnels ...*SSHOptions) *Dialer {
	d := &Dialer{Tunnels: map[string]*SSHOptions{}}
	for _, o := range tunnels {
		d.Tunnels[o.Name] = o
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func writeKnownHosts(t *testing.T, lines ...string) string {
	t.Helper()
	f := tempFile(t, "known_hosts")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSSHKeyFile(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	target := serve(t, echo)
	for _, kind := range []string{"ed25519", "ecdsa", "rsa"} {
		s := startSSH(t)
		o := s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), kind, ""))
		d := newDialer(t, o)
		c, err := viaTunnel(t, d, "home", target)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		roundTrip(t, c, "hello "+kind)
		if got := c.Describe(); got != "SSH tunnel via home" {
			t.Errorf("Describe = %q", got)
		}
	}
}

// TestSSHAlgorithmTrap: the server has ED25519 and ECDSA keys, known_hosts only the
// ED25519 one. x/crypto's defaults would negotiate ECDSA and report a false mismatch.
func TestSSHAlgorithmTrap(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	ed, ec := testlib.NewHostSigner(t, "ed25519"), testlib.NewHostSigner(t, "ecdsa")
	s := startSSH(t, ec, ed)
	key := testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")
	o := s.tunnel(t, "home", key)
	o.KnownHosts = []string{writeKnownHosts(t, knownhosts.Line([]string{knownhosts.Normalize(s.addr())}, ed.PublicKey()))}

	// The trap is real: plain x/crypto with the same known_hosts fails.
	cb, _ := knownhosts.New(o.KnownHosts[0])
	_, err := ssh.Dial("tcp", s.addr(), &ssh.ClientConfig{User: "fetch", HostKeyCallback: cb,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(key.Signer)}, Timeout: 10 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "key mismatch") {
		t.Fatalf("plain x/crypto: err = %v, want the false key mismatch", err)
	}

	c, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "trap avoided")
}

func TestSSHHashedKnownHosts(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	o := s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	hashed := knownhosts.HashHostname(knownhosts.Normalize(s.addr()))
	o.KnownHosts = []string{writeKnownHosts(t, "# comment", hashed+" "+string(ssh.MarshalAuthorizedKey(s.hostKeys[0].PublicKey())))}
	c, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "hashed")
}

func TestSSHCertAuthority(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	ca, host := testlib.NewHostSigner(t, "ed25519"), testlib.NewHostSigner(t, "ed25519")
	cert := &ssh.Certificate{Key: host.PublicKey(), CertType: ssh.HostCert, ValidPrincipals: []string{"127.0.0.1"},
		ValidAfter: uint64(time.Now().Add(-time.Hour).Unix()), ValidBefore: uint64(time.Now().Add(time.Hour).Unix())}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	certSigner, err := ssh.NewCertSigner(cert, host)
	if err != nil {
		t.Fatal(err)
	}
	s := startSSH(t, certSigner)
	o := s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	o.KnownHosts = []string{writeKnownHosts(t, knownhosts.Line([]string{"@cert-authority " + knownhosts.Normalize(s.addr())}, ca.PublicKey()))}
	c, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "certified")
}

func TestSSHRevoked(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	o := s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	o.KnownHosts = []string{writeKnownHosts(t, "@revoked * "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.hostKeys[0].PublicKey()))))}
	_, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Security, "@revoked")
}

func TestSSHUnknownHost(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	o := s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	o.KnownHosts = []string{writeKnownHosts(t, "[other.example]:22 "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.hostKeys[0].PublicKey()))))}
	_, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Security, "tunnel home", ssh.FingerprintSHA256(s.hostKeys[0].PublicKey()),
		"is not in", "fetchsecure trust-host home")

	o.KnownHosts = []string{tempFile(t, "missing")} // no file at all: same verdict
	_, err = viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Security, "none exists", "trust-host home")
}

func TestSSHChangedHostKey(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	o := s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	old := testlib.NewHostSigner(t, "ed25519").PublicKey()
	o.KnownHosts = []string{writeKnownHosts(t, knownhosts.Line([]string{knownhosts.Normalize(s.addr())}, old))}
	_, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Security, "REMOTE HOST KEY CHANGED", "man-in-the-middle",
		ssh.FingerprintSHA256(s.hostKeys[0].PublicKey()), ssh.FingerprintSHA256(old), o.KnownHosts[0]+":1")
}

func TestSSHInlineHostKey(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	ed, ec := testlib.NewHostSigner(t, "ed25519"), testlib.NewHostSigner(t, "ecdsa")
	s := startSSH(t, ec, ed)
	o := s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	o.KnownHosts, o.HostKey = nil, string(ssh.MarshalAuthorizedKey(ed.PublicKey()))
	c, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "inline")

	o.HostKey = string(ssh.MarshalAuthorizedKey(testlib.NewHostSigner(t, "ed25519").PublicKey()))
	_, err = viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Security, "REMOTE HOST KEY CHANGED", "host_key in the config")
}

func TestSSHEncryptedKey(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	key := testlib.NewSSHKey(t, t.TempDir(), "ecdsa", "correct horse")
	o := s.tunnel(t, "home", key)
	passFile := tempFile(t, "pass")
	os.WriteFile(passFile, []byte("correct horse\n"), 0o600)

	// Not interactive, no passphrase_command: a clear error before any connection.
	_, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Config, "passphrase-protected; set passphrase_command")

	o.PassphraseCommand = []string{"cat", passFile}
	c, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "decrypted")

	os.WriteFile(passFile, []byte("wrong horse\n"), 0o600)
	_, err = viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Auth, "wrong passphrase (from passphrase_command)")
	if strings.Contains(err.Error(), "horse") {
		t.Errorf("error shows the passphrase: %v", err)
	}

	o.PassphraseCommand = nil
	d := newDialer(t, o)
	var asked string
	d.Prompt = func(q string) (string, error) { asked = q; return "correct horse", nil }
	if c, err = viaTunnel(t, d, "home", serve(t, echo)); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "prompted")
	if !strings.Contains(asked, key.Path) {
		t.Errorf("prompt %q does not name the key", asked)
	}
}

// TestSSHAgent: agent keys and key files are offered together; an encrypted key file
// whose key the agent holds needs no passphrase.
func TestSSHAgent(t *testing.T) {
	checkLeaks(t)
	home := isolate(t)
	s := startSSH(t)
	agentKey := testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")
	fileKey := testlib.NewSSHKey(t, t.TempDir(), "ecdsa", "")
	startAgent(t, testlib.NewSSHKey(t, t.TempDir(), "rsa", ""), agentKey)
	o := s.tunnel(t, "home", nil)
	s.allow(agentKey.Public)
	c, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "agent")

	// Only the file key is allowed now: the agent's keys must not hide it.
	s2 := startSSH(t)
	o2 := s2.tunnel(t, "other", fileKey)
	if c, err = viaTunnel(t, newDialer(t, o2), "other", serve(t, echo)); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "file beside agent")

	// An encrypted default key that the agent holds: no passphrase asked.
	os.MkdirAll(home+"/.ssh", 0o700)
	enc := testlib.NewSSHKey(t, home+"/.ssh", "ed25519", "never asked")
	os.Rename(enc.Path, home+"/.ssh/id_ed25519")
	startAgent(t, enc)
	s3 := startSSH(t)
	o3 := s3.tunnel(t, "third", nil)
	s3.allow(enc.Public)
	if c, err = viaTunnel(t, newDialer(t, o3), "third", serve(t, echo)); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "agent copy of encrypted key")
}

func TestSSHWrongKey(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	o := s.tunnel(t, "home", nil)
	key := testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")
	o.IdentityFiles = []string{key.Path}
	_, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Auth, "SSH authentication as fetch failed", "fetch@"+s.addr(),
		ssh.FingerprintSHA256(key.Public), key.Path, "no ssh-agent: SSH_AUTH_SOCK is not set", "authorized_keys")

	o.IdentityFiles = nil // defaults: none exists
	_, err = viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	wantKind(t, err, fail.Auth, "no key to offer")
}

func TestScanAndTrustHost(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	ed, ec := testlib.NewHostSigner(t, "ed25519"), testlib.NewHostSigner(t, "ecdsa")
	s := startSSH(t, ec, ed)
	key := testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")
	o := s.tunnel(t, "home", key)
	o.KnownHosts = []string{tempFile(t, "sub/known_hosts")}
	got, err := ScanHostKey(ctx(t), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Marshal()) != string(ed.PublicKey().Marshal()) {
		t.Fatalf("scanned %s, want the ED25519 key", got.Type())
	}
	for range 2 { // the second append must not break the file
		if err := AppendKnownHost(o.KnownHosts[0], o.Host, o.Port, got); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := os.Stat(o.KnownHosts[0])
	if st.Mode().Perm() != 0o600 {
		t.Errorf("known_hosts mode %v", st.Mode())
	}
	b, _ := os.ReadFile(o.KnownHosts[0])
	if !strings.HasPrefix(string(b), "[127.0.0.1]:") || strings.Count(string(b), "\n") != 2 {
		t.Errorf("known_hosts:\n%s", b)
	}
	c, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "trusted")
	if err := AppendKnownHost(o.KnownHosts[0], "evil\nhost", 22, got); err == nil {
		t.Error("a host name with a newline was recorded")
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{"localhost": true, "LOCALHOST.": true, "127.0.0.1": true,
		"127.9.8.7": true, "::1": true, "[::1]": true, "::ffff:127.0.0.1": true, "imap.example.com": false,
		"10.0.0.1": false, "localhost.example.com": false, "": false, "0.0.0.0": false} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v", host, got)
		}
	}
}

var _ net.Conn = (*Conn)(nil)
