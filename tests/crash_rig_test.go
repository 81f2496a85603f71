package tests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// killRun is one run of fetchsecure --once that may have been killed.
type killRun struct {
	code    int // exit status; -1 if SIGKILL ended it
	killed  bool
	out     string
	elapsed time.Duration
}

// runKilled runs fetchsecure --once and kills it with SIGKILL as soon as kill, asked
// every quarter millisecond, says so (nil: never). The MDA children it started run on,
// as after a crash.
func (w *world) runKilled(kill func(elapsed time.Duration) bool) killRun {
	w.t.Helper()
	cmd := exec.Command(w.bin, "-c", w.config, "--once", "-v")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start fetchsecure: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	for tick := time.NewTicker(250 * time.Microsecond); ; {
		select {
		case err = <-exited:
			tick.Stop()
		case <-tick.C:
			if el := time.Since(start); el > testlib.RunTimeout || kill != nil && kill(el) {
				cmd.Process.Kill()
				kill = nil
			}
			continue
		}
		break
	}
	r := killRun{code: cmd.ProcessState.ExitCode(), out: buf.String(), elapsed: time.Since(start)}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		w.t.Fatalf("wait for fetchsecure: %v", err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		r.killed = true
		if r.elapsed >= testlib.RunTimeout {
			w.t.Fatalf("fetchsecure hung for %v:\n%s", r.elapsed, r.out)
		}
	}
	return r
}

// afterRecords returns a kill condition: the journal at path has grown n times since
// the run started (n = 0: at once), and then delay has passed.
func afterRecords(path string, n int, delay time.Duration) func(time.Duration) bool {
	var last int64 = -1
	if fi, err := os.Stat(path); err == nil {
		last = fi.Size()
	}
	seen, at := 0, time.Duration(-1)
	return func(el time.Duration) bool {
		if at < 0 {
			var size int64 = -1
			if fi, err := os.Stat(path); err == nil {
				size = fi.Size()
			}
			if size != last {
				seen, last = seen+1, size
			}
			if seen >= n {
				at = el
			}
		}
		return at >= 0 && el >= at+delay
	}
}

// cutProxy forwards TCP connections to a server and cuts each one, while cutting is
// on, after a number of bytes the test's random source picks: usually mid-message from
// the server, sometimes in a command from the client.
type cutProxy struct {
	l      net.Listener
	target string

	mu      sync.Mutex
	rng     *rand.Rand
	on      bool
	maxDown int64 // cut server→client traffic after up to this many bytes
	cuts    int   // connections cut
	conns   sync.WaitGroup
}

func startCutProxy(t *testing.T, target string, rng *rand.Rand, maxDown int64) *cutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{l: l, target: target, rng: rng, on: true, maxDown: maxDown}
	p.conns.Add(1)
	go p.serve()
	t.Cleanup(func() { l.Close(); p.conns.Wait() })
	return p
}

func (p *cutProxy) port() int { return p.l.Addr().(*net.TCPAddr).Port }

func (p *cutProxy) setCutting(on bool) {
	p.mu.Lock()
	p.on = on
	p.mu.Unlock()
}

func (p *cutProxy) cutCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

func (p *cutProxy) serve() {
	defer p.conns.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		go func() { defer p.conns.Done(); p.forward(c) }()
	}
}

// limits picks where to cut a new connection: after up bytes from the client or down
// bytes from the server (-1: never).
func (p *cutProxy) limits() (up, down int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !p.on:
		return -1, -1
	case p.rng.IntN(5) == 0:
		return p.rng.Int64N(1500), -1 // TLS handshake, LOGIN, FETCH, STORE, EXPUNGE...
	}
	return -1, p.rng.Int64N(p.maxDown)
}

func (p *cutProxy) forward(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	up, down := p.limits()
	done := make(chan bool, 2)
	go func() { done <- p.copy(s, c, up) }()
	go func() { done <- p.copy(c, s, down) }()
	cut := <-done
	c.Close() // one side ended: end the other
	s.Close()
	if <-done || cut {
		p.mu.Lock()
		p.cuts++
		p.mu.Unlock()
	}
}

// copy copies src to dst until limit bytes (-1: no limit) and reports whether it cut.
func (p *cutProxy) copy(dst, src net.Conn, limit int64) bool {
	if limit < 0 {
		io.Copy(dst, src)
		return false
	}
	n, _ := io.Copy(dst, io.LimitReader(src, limit))
	return n == limit
}

// receivedUID is the UID our Received: trace header names.
var receivedUID = regexp.MustCompile(`\(fetchsecure account \S+, folder INBOX, uid (\d+)\)`)

// uidOf returns the server UID of a delivered copy, from its trace header.
func uidOf(t *testing.T, delivered []byte) int {
	t.Helper()
	m := receivedUID.FindSubmatch(delivered[:min(len(delivered), 1024)])
	if m == nil {
		t.Fatalf("delivered message without our Received: field: %q", delivered[:min(len(delivered), 200)])
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// rawMaildir returns the messages of a maildir's new/ and cur/ as they are on disk,
// trace headers included; none if the maildir does not exist yet.
func rawMaildir(t *testing.T, dir string) [][]byte {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "new")); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var out [][]byte
	for _, d := range testlib.ReadMaildir(t, dir) {
		out = append(out, d.Data)
	}
	return out
}

// imapCrashAccount is the account of the crash test: delete mode, a max_messages
// limit (0: none), through the cutting proxy if there is one.
func (w *world) imapCrashAccount(target string, limit int, p *cutProxy) string {
	extra := []string{"keep = false", fmt.Sprintf("max_messages = %d", limit), `timeout = "20s"`}
	if p != nil {
		extra = append(extra, fmt.Sprintf("port = %d", p.port()))
	}
	return w.imapTo("crash", target, extra...)
}

// waitForOrphans waits until no process has marker in its command line: MDAs that a
// killed fetchsecure left running finish their delivery before the test looks at the
// target, and none outlives the test.
func waitForOrphans(t *testing.T, marker string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		n := 0
		lines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range lines {
			if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(marker)) {
				n++
			}
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d processes running %s did not finish", n, marker)
		}
	}
}
