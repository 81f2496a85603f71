package testlib

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// DovecotOptions select the certificate and the hostile variants of a Dovecot. The zero
// value is a well-behaved server.
type DovecotOptions struct {
	// CA signs the server certificate; a new one when nil.
	CA *CA
	// Cert is the certificate Dovecot presents; CA.Issue() when nil. Pass an expired,
	// wrong-name or self-signed one to test the client's verification.
	Cert *Cert
	// DisableSTARTTLS turns TLS off: the plaintext listeners do not offer STARTTLS or
	// STLS, and there are no IMAPS and POP3S listeners (see writeConfig for why).
	DisableSTARTTLS bool
	// ExtraConfig is appended to dovecot.conf; later settings override earlier ones.
	ExtraConfig string
}

// Dovecot is a private Dovecot instance on 127.0.0.1, run by the test that started it
// and stopped by PID when that test ends.
type Dovecot struct {
	// Listener ports on 127.0.0.1; 0 when absent. IMAP and POP3 offer STARTTLS/STLS
	// unless DisableSTARTTLS; IMAPS and POP3S speak TLS at once.
	IMAP, IMAPS, POP3, POP3S, LMTP int

	LMTPSocket string // unix socket of the LMTP service
	CA         *CA    // the CA that signed Cert (nil if Cert came without one)
	Cert       *Cert  // what the TLS listeners present
	Dir        string // everything of this instance: config, homes, run and state dirs, log
	Config     string // dovecot.conf, for doveadm -c

	t         testing.TB
	opts      DovecotOptions
	id        identity
	bin, adm  string
	mu        sync.Mutex // guards the fields below and the passwd-file
	cmd       *exec.Cmd
	exited    chan struct{}
	users     map[string]string // name → home
	paths     map[string]string // user NUL folder → maildir
	created   map[string]bool   // user NUL folder, known to exist
	startTime time.Duration
}

// pickPorts chooses the listener ports; a variable so that a test can hand out a
// taken port.
var pickPorts = loopbackPorts

// startTimeout bounds a start. Dovecot listens 20–60 ms after exec on an idle machine;
// the bound only stops a broken start from hanging the test on a loaded one.
const startTimeout = 30 * time.Second

// StartDovecot starts a Dovecot with IMAP, IMAPS, POP3, POP3S and LMTP listeners on
// free loopback ports, passwd-file users and maildir storage, all under a temporary
// directory of t. It is skipped or fails (see [RequireServer]) when Dovecot is not
// installed, and is stopped in t.Cleanup, leaving no process or file behind.
func StartDovecot(t testing.TB, opts DovecotOptions) *Dovecot {
	t.Helper()
	d := &Dovecot{t: t, opts: opts, users: map[string]string{},
		paths: map[string]string{}, created: map[string]bool{}}
	d.bin, d.adm = RequireServer(t, "dovecot"), RequireServer(t, "doveadm")
	requireProtocols(t)
	d.id = currentIdentity(t)
	d.Dir = t.TempDir()
	if os.Geteuid() == 0 {
		openPath(t, d.Dir)
	}
	d.Config = filepath.Join(d.Dir, "dovecot.conf")
	d.LMTPSocket = filepath.Join(d.Dir, "run", "lmtp")
	d.setupTLS(t)
	for _, sub := range []string{"run", "state", "home"} {
		mkdir(t, filepath.Join(d.Dir, sub), 0o755)
	}
	writeFile(t, d.Dir, "passwd", nil)
	t.Cleanup(d.cleanup)
	d.startFresh(t)
	return d
}

func (d *Dovecot) setupTLS(t testing.TB) {
	t.Helper()
	d.CA, d.Cert = d.opts.CA, d.opts.Cert
	if d.opts.DisableSTARTTLS || d.Cert != nil {
		return
	}
	if d.CA == nil {
		d.CA = NewCA(t)
	}
	d.Cert = d.CA.Issue(t)
}

// startFresh picks ports and starts; if another process took a port between the pick
// and Dovecot's bind, it picks again once.
func (d *Dovecot) startFresh(t testing.TB) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		d.choosePorts(t)
		err := d.start()
		if err == nil {
			return
		}
		if attempt == 2 || !strings.Contains(d.LogTail(20), "Address already in use") {
			t.Fatalf("start Dovecot: %v\n%s", err, d.LogTail(30))
		}
		t.Logf("Dovecot lost a port to another process; retrying with new ports")
	}
}

func (d *Dovecot) choosePorts(t testing.TB) {
	t.Helper()
	n := 5
	if d.opts.DisableSTARTTLS {
		n = 3
	}
	ps := pickPorts(t, n)
	p := ports{imap: ps[0], pop3: ps[1], lmtp: ps[2]}
	if n == 5 {
		p.imaps, p.pop3s = ps[3], ps[4]
	}
	d.IMAP, d.IMAPS, d.POP3, d.POP3S, d.LMTP = p.imap, p.imaps, p.pop3, p.pop3s, p.lmtp
	d.writeConfig(t, p)
}

// start runs the master in the foreground (-F) in its own process group, so that
// stopping it can reach every process it forked, and waits until it listens.
func (d *Dovecot) start() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	mark := fileSize(d.logFile())
	out, err := os.OpenFile(filepath.Join(d.Dir, "master.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(d.bin, "-F", "-c", d.Config)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	d.cmd, d.exited = cmd, make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(cmd, d.exited)
	if err := d.waitListening(mark); err != nil {
		d.killGroupLocked()
		return err
	}
	d.startTime = time.Since(begin)
	return nil
}

// waitListening polls the log: the master logs "starting up" only after it bound every
// listener, and exits (status 89) if one is taken. Polling a port instead could
// connect to whichever process held it.
func (d *Dovecot) waitListening(mark int64) error {
	deadline := time.Now().Add(startTimeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 20*time.Millisecond) {
		select {
		case <-d.exited:
			return fmt.Errorf("dovecot exited: %v", d.cmd.ProcessState)
		default:
		}
		if bytes.Contains(readFrom(d.logFile(), mark), []byte("master: Info: Dovecot v")) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dovecot did not start within %v", startTimeout)
		}
		time.Sleep(delay)
	}
}

// StartupTime is how long the last start took from exec to listening.
func (d *Dovecot) StartupTime() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.startTime
}

// Stop shuts Dovecot down as an administrator would: every process gets SIGTERM, so
// sessions end the way Dovecot ends them on shutdown (a POP3 client may read
// "-ERR [SYS/TEMP] Server shutting down." before the close, or only the close).
// The signal goes to the whole process group, not only to the master: a master alone
// takes Dovecot 2.3 over a second (it sleeps a fixed second waiting for anvil), and
// when it exits it can leave login and mail processes of open sessions behind, still
// holding the listening sockets. What remains after the master exits is killed.
// Stopping a stopped instance does nothing.
func (d *Dovecot) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil {
		return
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
		d.t.Logf("Dovecot (pid %d) ignored SIGTERM for 10s; killing it", d.cmd.Process.Pid)
	}
	d.killGroupLocked()
}

// Kill kills every Dovecot process at once with SIGKILL, as a crash would: sessions
// break without a goodbye. It is quick; t.Cleanup uses it.
func (d *Dovecot) Kill() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd != nil {
		d.killGroupLocked()
	}
}

// Start starts a stopped or killed instance again on the same ports, with the same
// users and mail. Starting a running instance does nothing.
func (d *Dovecot) Start(t testing.TB) {
	t.Helper()
	d.mu.Lock()
	running := d.cmd != nil
	d.mu.Unlock()
	if running {
		return
	}
	// A killed master leaves its pid file (Dovecot refuses to start if that pid is
	// alive, which after a reuse it could be) and perhaps a dotlock of state/instances,
	// which the master writes just after it starts and as it stops. That lock holds no
	// pid, so the next master waits 10 s for it to go stale, and until then answers
	// no connection.
	_ = os.Remove(filepath.Join(d.Dir, "run", "master.pid"))
	_ = os.Remove(filepath.Join(d.Dir, "state", "instances.lock"))
	if err := d.start(); err != nil {
		t.Fatalf("start Dovecot again: %v\n%s", err, d.LogTail(30))
	}
}

// Restart is Stop and Start: a server restarted under a running client.
func (d *Dovecot) Restart(t testing.TB) {
	t.Helper()
	d.Stop()
	d.Start(t)
}

// killGroupLocked SIGKILLs the master's process group and waits until the master is
// reaped and no other member runs.
func (d *Dovecot) killGroupLocked() {
	pgid := d.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-d.exited
	if !killGroup(pgid) {
		d.t.Errorf("Dovecot processes of group %d survive SIGKILL", pgid)
	}
	d.cmd = nil
}

func (d *Dovecot) cleanup() {
	d.Kill()
	if d.t.Failed() {
		d.t.Logf("Dovecot log (%s):\n%s", d.Dir, d.LogTail(40))
	}
}

// LogTail returns the last n lines of Dovecot's log and of the master's own output.
func (d *Dovecot) LogTail(n int) string {
	var b strings.Builder
	for _, f := range []string{d.logFile(), filepath.Join(d.Dir, "master.out")} {
		lines := strings.Split(strings.TrimRight(string(readFrom(f, 0)), "\n"), "\n")
		b.WriteString(strings.Join(lines[max(0, len(lines)-n):], "\n"))
		b.WriteString("\n")
	}
	return strings.TrimSpace(b.String())
}

func (d *Dovecot) logFile() string    { return filepath.Join(d.Dir, "dovecot.log") }
func (d *Dovecot) passwdFile() string { return filepath.Join(d.Dir, "passwd") }

// requireProtocols checks the protocol binaries that the Debian packages
// dovecot-imapd, dovecot-pop3d and dovecot-lmtpd install, where the layout is known.
func requireProtocols(t testing.TB) {
	t.Helper()
	for _, dir := range []string{"/usr/lib/dovecot", "/usr/libexec/dovecot"} {
		if _, err := os.Stat(filepath.Join(dir, "imap-login")); err != nil {
			continue
		}
		for _, p := range []string{"imap", "pop3", "lmtp"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				missing(t, fmt.Sprintf("Dovecot's %s server is not installed (%s; Debian: dovecot-%sd)", p, dir, p))
			}
		}
		return
	}
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// readFrom returns the contents of p from offset on, or nil.
func readFrom(p string, offset int64) []byte {
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil
	}
	b, _ := io.ReadAll(f)
	return b
}

func mkdir(t testing.TB, p string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(p, mode); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatalf("mkdir %s: %v", p, err)
	}
}
