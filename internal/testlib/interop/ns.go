package interop

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// ns is one server's private mount namespace (and PID namespace, so that killing
// its first process ends every process in it). Inside it:
//
//	/usr   the host's /usr overlaid with the unpacked packages (read-only)
//	/etc   the host's /etc overlaid with the packages' /etc and the instance's own
//	       etc/ (passwd, group, shadow, server configuration); what the server's
//	       tools write there (userdb.dat) lands in etc.rw/
//	/var   the host's /var with the instance's var/ as upper layer: the server
//	       writes its spool, queue and state there, as on a real system, and the
//	       test reads them in var/ from outside
//	/dev   the host's /dev plus a /dev/log that leads to the instance's syslog
//	/run   a fresh tmpfs
//
// Nothing outside the instance directory changes.
type ns struct {
	t      testing.TB
	name   string // for messages: "Cyrus", "Courier", ...
	Dir    string // instance directory, outside every overlaid tree
	root   string // the unpacked packages
	cmd    *exec.Cmd
	exited chan struct{}
	init   int // PID (in the host's PID namespace) of the namespace's first process
	log    *syslogSink
	acct   *accounts
}

// overlaid are the trees the namespace replaces: the instance directory must lie
// outside them, or the overlays would hide it or nest in themselves.
var overlaid = []string{"/usr", "/etc", "/var", "/dev", "/run"}

// newNS prepares an instance directory for server name; nothing runs yet.
func newNS(t testing.TB, name string) *ns {
	t.Helper()
	root := requireRoot(t, name)
	n := &ns{t: t, name: name, Dir: t.TempDir(), root: root}
	for _, o := range overlaid {
		if n.Dir == o || strings.HasPrefix(n.Dir, o+"/") {
			t.Fatalf("%s: the test's temporary directory %s lies under %s, which the server's namespace overlays; set TMPDIR=/tmp", name, n.Dir, o)
		}
	}
	openPath(t, n.Dir)
	for _, d := range []string{"etc", "etc.rw", "var", "dev", "work/etc", "work/var", "work/dev"} {
		mkdirAll(t, filepath.Join(n.Dir, d), 0o755)
	}
	n.log = startSyslog(t, filepath.Join(n.Dir, "log.sock"), filepath.Join(n.Dir, "syslog"))
	if err := os.Symlink(filepath.Join(n.Dir, "log.sock"), filepath.Join(n.Dir, "dev", "log")); err != nil {
		t.Fatal(err)
	}
	writeAccounts(t, n)
	t.Cleanup(n.cleanup)
	return n
}

// prelude mounts the overlays; the server's own script follows it.
func (n *ns) prelude() string {
	d, r := n.Dir, n.root
	return strings.Join([]string{
		"set -e",
		fmt.Sprintf("mount -t overlay overlay -o lowerdir=%s/usr:/usr /usr", r),
		fmt.Sprintf("mount -t overlay overlay -o lowerdir=%s/etc:%s/etc:/etc,upperdir=%s/etc.rw,workdir=%s/work/etc /etc", d, r, d, d),
		fmt.Sprintf("mount -t overlay overlay -o lowerdir=/var,upperdir=%s/var,workdir=%s/work/var /var", d, d),
		fmt.Sprintf("mount -t overlay overlay -o lowerdir=/dev,upperdir=%s/dev,workdir=%s/work/dev /dev", d, d),
		"mount -t tmpfs -o mode=755 tmpfs /run",
		"export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C",
		"cd /",
	}, "\n") + "\n"
}

// Etc writes a file of the namespace's /etc.
func (n *ns) Etc(rel string, data []byte, mode os.FileMode) string {
	n.t.Helper()
	p := filepath.Join(n.Dir, "etc", rel)
	mkdirAll(n.t, filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, data, mode); err != nil {
		n.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		n.t.Fatal(err)
	}
	return p
}

// Var returns where the file the server sees as /var/rel lies outside the namespace.
// It exists only once the server wrote it.
func (n *ns) Var(rel string) string { return filepath.Join(n.Dir, "var", rel) }

// start runs script (after the prelude) as the namespace's first process. The
// script should end by exec'ing the server in the foreground, or by starting
// several in the background and waiting. ready is polled until it returns nil.
func (n *ns) start(script string, ready func() error) {
	n.t.Helper()
	p := filepath.Join(n.Dir, "start.sh")
	// The script runs in a subshell, so that the namespace's first process stays this
	// shell, running as root, whatever the script execs: the kernel kills a PID
	// namespace with its first process, and unshare --kill-child (like Pdeathsig
	// below) signals it, but a parent-death signal is cleared in a process that
	// changes its user, as servers do when they drop root.
	body := n.prelude() + "(\n" + script + ") &\nwait $!\n"
	if err := os.WriteFile(p, []byte(body), 0o700); err != nil {
		n.t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(n.Dir, "start.out"))
	if err != nil {
		n.t.Fatal(err)
	}
	defer out.Close()
	n.cmd = exec.Command("unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
		"--propagation", "private", "/bin/sh", p)
	n.cmd.Stdout, n.cmd.Stderr = out, out
	// Pdeathsig: if the test binary dies without its cleanups (a test timeout),
	// unshare dies with it, and the namespace with unshare.
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		n.t.Fatalf("start %s: %v", n.name, err)
	}
	n.exited = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(n.cmd, n.exited)
	if err := n.waitReady(ready); err != nil {
		n.stop()
		n.t.Fatalf("start %s: %v\n%s", n.name, err, n.LogTail(40))
	}
}

// startTimeout bounds a start: the servers here listen within a second on an idle
// machine; the bound only keeps a broken start from hanging the test.
const startTimeout = 30 * time.Second

func (n *ns) waitReady(ready func() error) error {
	deadline := time.Now().Add(startTimeout)
	var err error
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		select {
		case <-n.exited:
			return fmt.Errorf("the namespace exited: %v", n.cmd.ProcessState)
		default:
		}
		if n.init == 0 {
			n.init = firstChild(n.cmd.Process.Pid)
		}
		if n.init != 0 {
			if err = ready(); err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within %v: %v", startTimeout, err)
		}
		time.Sleep(delay)
	}
}

// Exec runs a command inside the running namespace (its mounts and PIDs) and returns
// its standard output; the test fails if it fails.
func (n *ns) Exec(stdin []byte, argv ...string) []byte {
	n.t.Helper()
	out, err := n.exec(stdin, argv...)
	if err != nil {
		n.t.Fatalf("%s: %v", n.name, err)
	}
	return out
}

func (n *ns) exec(stdin []byte, argv ...string) ([]byte, error) {
	if n.init == 0 {
		return nil, fmt.Errorf("%s is not running", n.name)
	}
	args := append([]string{"-t", fmt.Sprint(n.init), "-m", "-p", "--wd=/", "--",
		"/usr/bin/env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}, argv...)
	cmd := exec.Command("nsenter", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(stdin), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// WriteFile writes data to path inside the namespace, owned by owner ("user:group"),
// mode 0600. Writing through the namespace, not into the overlay's upper layer from
// outside, keeps the overlay's view coherent.
func (n *ns) WriteFile(path string, data []byte, owner string) {
	n.t.Helper()
	n.Exec(data, "sh", "-c", `umask 077; cat >"$1" && chown "$2" "$1"`, "sh", path, owner)
}

// stop kills every process of the namespace and waits until they are gone: killing
// unshare makes it SIGKILL the namespace's first process (--kill-child), and the
// kernel kills the rest of a PID namespace when its first process dies.
func (n *ns) stop() {
	if n.cmd == nil {
		return
	}
	pids := append(descendants(n.cmd.Process.Pid), n.cmd.Process.Pid)
	_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	<-n.exited
	if !waitGone(pids, 10*time.Second) {
		n.t.Errorf("%s: processes survive SIGKILL: %v", n.name, pids)
	}
	n.cmd, n.init = nil, 0
}

func (n *ns) cleanup() {
	n.stop()
	n.log.close()
	if n.t.Failed() {
		n.t.Logf("%s (%s):\n%s", n.name, n.Dir, n.LogTail(60))
	}
}

// LogTail returns the last lines of the server's syslog and of its start script's
// output.
func (n *ns) LogTail(lines int) string {
	var b strings.Builder
	for _, f := range []string{filepath.Join(n.Dir, "syslog"), filepath.Join(n.Dir, "start.out")} {
		data, _ := os.ReadFile(f)
		ls := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		b.WriteString(strings.Join(ls[max(0, len(ls)-lines):], "\n") + "\n")
	}
	return strings.TrimSpace(b.String())
}

// Log returns everything the server logged so far.
func (n *ns) Log() string {
	data, _ := os.ReadFile(filepath.Join(n.Dir, "syslog"))
	return string(data)
}

// ports picks k free loopback ports.
func ports(t testing.TB, k int) []int {
	t.Helper()
	seen := map[int]bool{}
	out := make([]int, 0, k)
	for len(out) < k {
		p := testlib.LoopbackPort(t)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func mkdirAll(t testing.TB, p string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(p, mode); err != nil {
		t.Fatal(err)
	}
}

// openPath makes dir and its parent (both made by t.TempDir) traversable, so that
// servers running as their own users reach the syslog socket, and checks that every
// ancestor already is.
func openPath(t testing.TB, dir string) {
	t.Helper()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	for d := filepath.Dir(filepath.Dir(dir)); d != filepath.Dir(d); d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm()&0o001 == 0 {
			t.Fatalf("servers running as their own users cannot traverse %s; set TMPDIR to a directory every user can reach", d)
		}
	}
}
