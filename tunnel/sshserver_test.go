package tunnel

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// sshServer is an in-process SSH server (x/crypto/ssh) that forwards direct-tcpip
// channels to 127.0.0.1 and answers keepalives, like sshd.
type sshServer struct {
	*server
	hostKeys []ssh.Signer
	mu       sync.Mutex
	allowed  [][]byte // marshalled public keys allowed to log in
	refuse   atomic.Bool
	lastUser atomic.Value
}

// startSSH starts a server with the given host keys (ED25519 by default).
func startSSH(t testing.TB, hostKeys ...ssh.Signer) *sshServer {
	t.Helper()
	if len(hostKeys) == 0 {
		hostKeys = []ssh.Signer{testlib.NewHostSigner(t, "ed25519")}
	}
	s := &sshServer{hostKeys: hostKeys}
	s.server = serve(t, s.handle)
	return s
}

func (s *sshServer) allow(pub ssh.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowed = append(s.allowed, pub.Marshal())
}

func (s *sshServer) config() *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, a := range s.allowed {
				if bytes.Equal(a, key.Marshal()) {
					s.lastUser.Store(md.User())
					return nil, nil
				}
			}
			return nil, fmt.Errorf("key not allowed")
		},
	}
	for _, k := range s.hostKeys {
		cfg.AddHostKey(k)
	}
	return cfg
}

func (s *sshServer) handle(c net.Conn) {
	sc, chans, reqs, err := ssh.NewServerConn(c, s.config())
	if err != nil {
		c.Close()
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs) // answers keepalive@openssh.com with false, as sshd does
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		if nc.ChannelType() != "direct-tcpip" {
			nc.Reject(ssh.UnknownChannelType, "no")
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); s.forward(nc) }()
	}
}

// forward serves one direct-tcpip channel (RFC 4254 §7.2).
func (s *sshServer) forward(nc ssh.NewChannel) {
	var req struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &req); err != nil {
		nc.Reject(ssh.ConnectionFailed, "bad request")
		return
	}
	if s.refuse.Load() {
		nc.Reject(ssh.Prohibited, "administratively prohibited: open failed")
		return
	}
	target, err := net.DialTimeout("tcp", net.JoinHostPort(req.Host, strconv.Itoa(int(req.Port))), 5*time.Second)
	if err != nil {
		nc.Reject(ssh.ConnectionFailed, "Connection refused")
		return
	}
	ch, chReqs, err := nc.Accept()
	if err != nil {
		target.Close()
		return
	}
	go ssh.DiscardRequests(chReqs)
	done := make(chan struct{})
	go func() { io.Copy(ch, target); ch.CloseWrite(); close(done) }()
	io.Copy(target, ch)
	target.Close()
	<-done
	ch.Close()
	target.Close()
}

// tunnel returns options for reaching s as a tunnel named name, trusting all its host
// keys through a known_hosts file.
func (s *sshServer) tunnel(t testing.TB, name string, key *testlib.SSHKey) *SSHOptions {
	t.Helper()
	kh := tempFile(t, "known_hosts")
	var lines []byte
	for _, k := range s.hostKeys {
		lines = append(lines, knownhosts.Line([]string{knownhosts.Normalize(s.addr())}, k.PublicKey())+"\n"...)
	}
	if err := os.WriteFile(kh, lines, 0o600); err != nil {
		t.Fatal(err)
	}
	if key != nil {
		s.allow(key.Public)
	}
	o := &SSHOptions{Name: name, Host: "127.0.0.1", Port: s.port(), User: "fetch", KnownHosts: []string{kh},
		Timeout: 10 * time.Second}
	if key != nil {
		o.IdentityFiles = []string{key.Path}
	}
	return o
}

// freezer is a TCP proxy in front of addr that can stop forwarding, like a link that
// went dead without a reset.
type freezer struct {
	*server
	frozen atomic.Bool
}

func startFreezer(t *testing.T, addr string) *freezer {
	f := &freezer{}
	f.server = serve(t, func(c net.Conn) {
		up, err := net.Dial("tcp", addr)
		if err != nil {
			c.Close()
			return
		}
		done := make(chan struct{})
		go func() { f.copy(up, c); close(done) }()
		f.copy(c, up)
		<-done
	})
	return f
}

func (f *freezer) copy(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for f.frozen.Load() {
			time.Sleep(10 * time.Millisecond)
			if isClosedConn(dst) {
				return
			}
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// isClosedConn reports whether the proxy's side was closed (by the test's cleanup).
func isClosedConn(c net.Conn) bool {
	_, err := c.Write(nil)
	return err != nil
}

// startAgent serves keys as an ssh-agent on a unix socket and points SSH_AUTH_SOCK at it.
func startAgent(t *testing.T, keys ...*testlib.SSHKey) {
	t.Helper()
	kr := agent.NewKeyring()
	for _, k := range keys {
		if err := kr.Add(agent.AddedKey{PrivateKey: k.Private}); err != nil {
			t.Fatal(err)
		}
	}
	sock := tempFile(t, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); agent.ServeAgent(kr, c); c.Close() }()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	t.Setenv("SSH_AUTH_SOCK", sock)
}

// authorizedLine is s's first host key as known_hosts writes it, without the host.
func authorizedLine(s *sshServer) string {
	return string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(s.hostKeys[0].PublicKey())))
}

func itoa(n int) string { return strconv.Itoa(n) }
