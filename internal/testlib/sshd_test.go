package testlib

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestSSHKeys(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"ed25519", "ecdsa", "rsa"} {
		for _, pass := range []string{"", "secret words"} {
			k := NewSSHKey(t, dir, kind, pass)
			pem, err := os.ReadFile(k.Path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ssh.ParsePrivateKey(pem)
			var missing *ssh.PassphraseMissingError
			if pass != "" && !errors.As(err, &missing) {
				t.Errorf("%s encrypted: ParsePrivateKey err = %v, want PassphraseMissingError", kind, err)
			}
			if pass != "" {
				_, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(pass))
			}
			if err != nil {
				t.Errorf("%s (passphrase %q): %v", kind, pass, err)
			}
			if st, _ := os.Stat(k.Path); st.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", k.Path, st.Mode())
			}
		}
	}
}

// TestSSHD logs in to the private sshd with a generated key, checks its host key against
// KnownHostsLine, forwards a connection, and checks that Kill leaves nothing behind.
func TestSSHD(t *testing.T) {
	s := StartSSHD(t, SSHDOptions{})
	key := NewSSHKey(t, t.TempDir(), "ed25519", "")
	s.AuthorizeKey(key.Public)
	kh := t.TempDir() + "/known_hosts"
	sshWriteFile(t, kh, []byte(s.KnownHostsLine()), 0o600)
	cb, err := knownhosts.New(kh)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(key.Signer)},
		HostKeyCallback: cb, HostKeyAlgorithms: []string{ssh.KeyAlgoED25519}, Timeout: 10 * time.Second}
	c, err := ssh.Dial("tcp", s.Addr(), cfg)
	if err != nil {
		t.Fatalf("ssh to the test sshd: %v\nlog:\n%s", err, s.Log())
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if a, err := l.Accept(); err == nil {
			a.Write([]byte("hello\n"))
			a.Close()
		}
	}()
	ch, err := c.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("forward: %v\nlog:\n%s", err, s.Log())
	}
	buf := make([]byte, 6)
	if _, err := ch.Read(buf); err != nil || string(buf) != "hello\n" {
		t.Errorf("forwarded read = %q, %v", buf, err)
	}
	ch.Close()
	if !strings.Contains(s.Log(), "Accepted publickey for "+s.User) {
		t.Errorf("log does not show the login:\n%s", s.Log())
	}
	pid := s.cmd.Process.Pid
	kids := sshDescendants(pid)
	if len(kids) == 0 {
		t.Errorf("no session process under sshd %d", pid)
	}
	s.Kill()
	if _, _, err := c.SendRequest("keepalive@openssh.com", true, nil); err == nil {
		t.Error("the SSH connection survived Kill")
	}
	c.Close()
}
