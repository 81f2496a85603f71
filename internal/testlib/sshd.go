package testlib

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHDPath is the OpenSSH server the tests run.
const SSHDPath = "/usr/sbin/sshd"

// SSHDOptions configures a private sshd.
type SSHDOptions struct {
	NoForwarding bool     // AllowTcpForwarding no: channel opens are refused
	Extra        []string // more sshd_config lines
}

// SSHD is a private OpenSSH server on 127.0.0.1, started for one test: its own host
// keys (ED25519 and ECDSA, so that the host key algorithm trap of golang/go#49631 is
// exercised), its own sshd_config and authorized_keys, public-key authentication only.
// As root it lets root in; as another user, sshd can only let that user in.
type SSHD struct {
	Host     string          // "127.0.0.1"
	Port     int             // a free high port
	User     string          // the user to log in as: whoever runs the test
	HostKeys []ssh.PublicKey // ED25519 first, then ECDSA
	Dir      string          // holds the config, keys, log and pid file

	t      testing.TB
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartSSHD starts sshd and stops it (and every session process it forked) when the test
// ends. Without sshd the test is skipped, or fails if FETCHSECURE_REQUIRE_SERVERS=1.
func StartSSHD(t testing.TB, opts SSHDOptions) *SSHD {
	t.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		if os.Getenv("FETCHSECURE_REQUIRE_SERVERS") == "1" {
			t.Fatalf("sshd is required (FETCHSECURE_REQUIRE_SERVERS=1) but missing: %v", err)
		}
		t.Skipf("no OpenSSH server (%v); install openssh-server to run this test", err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	s := &SSHD{Host: "127.0.0.1", User: u.Username, Dir: t.TempDir(), t: t}
	s.writeHostKeys()
	sshWriteFile(t, s.path("authorized_keys"), nil, 0o600)
	if os.Geteuid() == 0 {
		// sshd's privilege separation directory; Debian creates it at boot only.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var lastErr error
	for range 3 { // the free port may be taken between probe and bind
		if lastErr = s.start(opts); lastErr == nil {
			return s
		}
	}
	t.Fatalf("sshd did not start: %v\nlog:\n%s", lastErr, s.Log())
	return nil
}

// Addr is "127.0.0.1:port".
func (s *SSHD) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// KnownHostsLine is the known_hosts line of the ED25519 host key only: a client must
// then negotiate ED25519 although sshd also offers ECDSA.
func (s *SSHD) KnownHostsLine() string {
	return fmt.Sprintf("[%s]:%d %s", s.Host, s.Port, ssh.MarshalAuthorizedKey(s.HostKeys[0]))
}

// AuthorizeKey lets pub log in as s.User.
func (s *SSHD) AuthorizeKey(pub ssh.PublicKey) {
	f, err := os.OpenFile(s.path("authorized_keys"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(ssh.MarshalAuthorizedKey(pub)); err != nil {
		s.t.Fatal(err)
	}
}

// Log returns what sshd logged so far (LogLevel VERBOSE).
func (s *SSHD) Log() string {
	b, _ := os.ReadFile(s.path("sshd.log"))
	return string(b)
}

// Kill kills sshd and all its session processes with SIGKILL, as a crash or a power cut
// would: connections through it stop without a goodbye.
func (s *SSHD) Kill() {
	pids := append(sshDescendants(s.cmd.Process.Pid), s.cmd.Process.Pid)
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.t.Errorf("sshd pid %d survived SIGKILL", s.cmd.Process.Pid)
	}
	sshWaitGone(s.t, pids)
}

func (s *SSHD) path(name string) string { return filepath.Join(s.Dir, name) }

func (s *SSHD) writeHostKeys() {
	for _, kind := range []string{"ed25519", "ecdsa"} {
		priv := sshGenerateKey(s.t, kind)
		block, err := ssh.MarshalPrivateKey(priv, "")
		if err != nil {
			s.t.Fatal(err)
		}
		sshWriteFile(s.t, s.path("ssh_host_"+kind+"_key"), pem.EncodeToMemory(block), 0o600)
		pub, err := ssh.NewPublicKey(priv.Public())
		if err != nil {
			s.t.Fatal(err)
		}
		s.HostKeys = append(s.HostKeys, pub)
	}
}

func (s *SSHD) config(opts SSHDOptions) string {
	forwarding := "yes"
	if opts.NoForwarding {
		forwarding = "no"
	}
	lines := []string{
		"Port " + strconv.Itoa(s.Port),
		"ListenAddress " + s.Host,
		"HostKey " + s.path("ssh_host_ed25519_key"),
		"HostKey " + s.path("ssh_host_ecdsa_key"),
		"PidFile " + s.path("sshd.pid"),
		"AuthorizedKeysFile " + s.path("authorized_keys"),
		"AuthenticationMethods publickey",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"AllowUsers " + s.User,
		"AllowTcpForwarding " + forwarding,
		"AllowAgentForwarding no",
		"X11Forwarding no",
		"PermitTTY no",
		"UseDNS no",
		"LogLevel VERBOSE",
	}
	return strings.Join(append(lines, opts.Extra...), "\n") + "\n"
}

// start runs sshd on a fresh port and waits until it greets.
func (s *SSHD) start(opts SSHDOptions) error {
	l, err := net.Listen("tcp", s.Host+":0")
	if err != nil {
		return err
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	sshWriteFile(s.t, s.path("sshd_config"), []byte(s.config(opts)), 0o600)
	// sshd must be started by its absolute path to re-execute itself per connection.
	s.cmd = exec.Command(SSHDPath, "-D", "-f", s.path("sshd_config"), "-E", s.path("sshd.log"))
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(s.cmd, s.exited)
	if err := s.awaitGreeting(); err != nil {
		s.stop()
		return err
	}
	s.t.Cleanup(s.stop)
	return nil
}

func (s *SSHD) awaitGreeting() error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("sshd exited: %v", s.cmd.ProcessState)
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "SSH-2.0-") {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no SSH greeting on %s within 15s", s.Addr())
}

// stop kills sshd and its session processes; a test server needs no graceful end.
func (s *SSHD) stop() {
	select {
	case <-s.exited:
		sshWaitGone(s.t, nil)
		return
	default:
	}
	s.Kill()
}

// sshDescendants lists the processes below pid, found through /proc.
func sshDescendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for child, ppid := range parent {
			if ppid == cur {
				out = append(out, child)
				queue = append(queue, child)
			}
		}
	}
	return out
}

// sshWaitGone waits until the processes have died (zombies count as dead: the init of a
// container may not reap them).
func sshWaitGone(t testing.TB, pids []int) {
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for {
			stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if err != nil || strings.Contains(string(stat[strings.LastIndexByte(string(stat), ')')+1:]), " Z ") {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("sshd process %d survived SIGKILL", pid)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// SSHKey is a generated SSH key pair, written to disk in OpenSSH format.
type SSHKey struct {
	Path    string        // private key file, mode 0600; Path+".pub" holds the public key
	Private crypto.Signer // the raw private key
	Signer  ssh.Signer    // for in-process servers and agents
	Public  ssh.PublicKey // what goes into authorized_keys
}

// NewSSHKey generates a key of kind "ed25519", "ecdsa" (P-256) or "rsa" (2048 bits) in
// dir, named after kind, encrypted with passphrase unless it is "".
func NewSSHKey(t testing.TB, dir, kind, passphrase string) *SSHKey {
	t.Helper()
	priv := sshGenerateKey(t, kind)
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "fetchsecure test "+kind)
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "fetchsecure test "+kind, []byte(passphrase))
	}
	if err != nil {
		t.Fatalf("marshal %s key: %v", kind, err)
	}
	signer, err := ssh.NewSignerFromSigner(priv)
	if err != nil {
		t.Fatalf("signer for %s key: %v", kind, err)
	}
	name := "id_" + kind
	if passphrase != "" {
		name += "_encrypted"
	}
	k := &SSHKey{Path: filepath.Join(dir, name), Private: priv, Signer: signer, Public: signer.PublicKey()}
	sshWriteFile(t, k.Path, pem.EncodeToMemory(block), 0o600)
	sshWriteFile(t, k.Path+".pub", ssh.MarshalAuthorizedKey(k.Public), 0o644)
	return k
}

// NewHostSigner generates an in-memory key of kind, for in-process SSH servers.
func NewHostSigner(t testing.TB, kind string) ssh.Signer {
	t.Helper()
	s, err := ssh.NewSignerFromSigner(sshGenerateKey(t, kind))
	if err != nil {
		t.Fatalf("signer for %s key: %v", kind, err)
	}
	return s
}

func sshGenerateKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("unknown SSH key kind %q", kind)
	}
	if err != nil {
		t.Fatalf("generate %s key: %v", kind, err)
	}
	return priv
}

func sshWriteFile(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}
