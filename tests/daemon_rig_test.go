package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/state"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// deliveryBound is how long a test waits for something the daemon should do "within
// seconds": generous, so that a loaded machine does not fail the test.
const deliveryBound = 20 * time.Second

// daemon is a running `fetchsecure` (no --once) started by a test, with systemd's
// notification socket pointed at the test so that READY=1 and the rest can be
// awaited, as systemd would.
type daemon struct {
	t      *testing.T
	w      *world
	cmd    *exec.Cmd
	out    syncBuffer
	exited chan struct{}
	notes  chan string // sd_notify datagrams
	sock   *net.UnixConn
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDaemon starts the daemon on w's config and waits for READY=1.
func (w *world) startDaemon(env ...string) *daemon {
	w.t.Helper()
	d := &daemon{t: w.t, w: w, exited: make(chan struct{}), notes: make(chan string, 100)}
	name := fmt.Sprintf("@fetchsecure-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		w.t.Fatal(err)
	}
	d.sock = sock
	go d.readNotes()
	d.cmd = exec.Command(w.bin, "-c", w.config)
	d.cmd.Env = append(os.Environ(), append([]string{"NOTIFY_SOCKET=" + name}, env...)...)
	d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
	d.cmd.WaitDelay = 5 * time.Second
	if err := d.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	w.t.Cleanup(d.cleanup)
	d.waitNote("READY=1")
	return d
}

func (d *daemon) readNotes() {
	buf := make([]byte, 4096)
	for {
		n, err := d.sock.Read(buf)
		if err != nil {
			close(d.notes)
			return
		}
		d.notes <- string(buf[:n])
	}
}

// waitNote waits for a notification that contains want (e.g. "READY=1").
func (d *daemon) waitNote(want string) {
	d.t.Helper()
	timeout := time.After(deliveryBound)
	for {
		select {
		case n := <-d.notes:
			if strings.Contains(n, want) {
				return
			}
		case <-d.exited:
			d.t.Fatalf("the daemon exited before %s:\n%s", want, d.out.String())
		case <-timeout:
			d.t.Fatalf("no %s from the daemon within %v:\n%s", want, deliveryBound, d.out.String())
		}
	}
}

func (d *daemon) signal(sig syscall.Signal) {
	d.t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatalf("signal the daemon: %v", err)
	}
}

// stop sends SIGTERM and returns the exit code and how long the daemon took.
func (d *daemon) stop() (int, time.Duration) {
	d.t.Helper()
	start := time.Now()
	d.signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		d.t.Fatalf("the daemon ignored SIGTERM for 30s:\n%s", d.out.String())
	}
	return d.cmd.ProcessState.ExitCode(), time.Since(start)
}

func (d *daemon) cleanup() {
	select {
	case <-d.exited:
	default:
		d.cmd.Process.Kill()
		<-d.exited
	}
	d.sock.Close()
	if d.t.Failed() {
		d.t.Logf("daemon output:\n%s", d.out.String())
	}
}

// waitLog waits until the daemon's output contains s.
func (d *daemon) waitLog(s string) {
	d.t.Helper()
	eventually(d.t, "the daemon to log "+s, func() bool { return strings.Contains(d.out.String(), s) }, d)
}

// eventually polls cond until it holds or deliveryBound passes.
func eventually(t *testing.T, what string, cond func() bool, d *daemon) {
	t.Helper()
	deadline := time.Now().Add(deliveryBound)
	for !cond() {
		if time.Now().After(deadline) {
			out := ""
			if d != nil {
				out = d.out.String()
			}
			t.Fatalf("waited %v for %s\n%s", deliveryBound, what, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// status reads the status file the daemon writes.
func (w *world) status() *state.Status {
	w.t.Helper()
	st, err := state.ReadStatus(filepath.Join(w.dir, "state"))
	if err != nil {
		return &state.Status{}
	}
	return st
}

// watching reports whether the status shows every folder listed as IDLE-ing.
func (w *world) watching(folders map[string][]string) bool {
	st := w.status()
	n := 0
	for _, a := range st.Accounts {
		for _, f := range a.Folders {
			for _, want := range folders[a.Name] {
				if f.Name == want && f.Watch == "idle" {
					n++
				}
			}
		}
	}
	total := 0
	for _, fs := range folders {
		total += len(fs)
	}
	return n == total
}

// maildirCount counts the messages in a maildir (0 if it does not exist yet).
func maildirCount(dir string) int {
	n := 0
	for _, sub := range []string{"new", "cur"} {
		ents, _ := os.ReadDir(filepath.Join(dir, sub))
		n += len(ents)
	}
	return n
}

func statusJSON(t *testing.T, r *testlib.Result) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Stdout, &m); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r)
	}
	return m
}

// sub runs a subcommand (status, wake) on w's config.
func (w *world) sub(name string, args ...string) *testlib.Result {
	w.t.Helper()
	return testlib.Run(w.t, w.bin, append([]string{name, "-c", w.config}, args...)...)
}

// newWorldWith is newWorld with a Dovecot configured by opts.
func newWorldWith(t *testing.T, opts testlib.DovecotOptions) *world {
	t.Helper()
	w := &world{t: t, bin: testlib.BuildBinary(t, "./cmd/fetchsecure"), dir: t.TempDir()}
	w.dc = testlib.StartDovecot(t, opts)
	w.dc.AddUser(t, "alex", password)
	w.maildir, w.config = filepath.Join(w.dir, "Maildir"), filepath.Join(w.dir, "config.toml")
	return w
}
