package testlib

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Program is a testing.TB for programs that use the rig outside go test, such as the
// benchmark harness: StartDovecot, StartSSHD and the rest take a testing.TB, and a
// program has none. It behaves as a test does where that matters: Fatal and Skip end
// the calling goroutine with runtime.Goexit, so the work must run inside [Program.Run];
// Cleanup functions run last-in first-out in [Program.Close]; TempDir directories live
// under one root that Close removes. Log output goes to the writer given to
// [NewProgram].
type Program struct {
	// testing.TB is embedded, nil, only for the interface's unexported method: every
	// exported method is Program's own.
	testing.TB

	name   string
	out    io.Writer
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	cleanups []func()
	failed   bool
	skipped  bool
	root     string // parent of every TempDir; "" until the first
	dirs     int
}

// NewProgram returns a Program named name (what Name returns) logging to out.
func NewProgram(name string, out io.Writer) *Program {
	ctx, cancel := context.WithCancel(context.Background())
	return &Program{name: name, out: out, ctx: ctx, cancel: cancel}
}

// Run calls f on a goroutine of its own and waits for it to return or to end through
// Fatal, FailNow or Skip. It returns an error if the program failed or skipped so far.
func (p *Program) Run(f func()) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.failed:
		return fmt.Errorf("%s failed", p.name)
	case p.skipped:
		return fmt.Errorf("%s skipped", p.name)
	}
	return nil
}

// Close runs the cleanups, newest first, and removes the temporary directories.
func (p *Program) Close() {
	p.cancel()
	for {
		p.mu.Lock()
		n := len(p.cleanups)
		if n == 0 {
			p.mu.Unlock()
			break
		}
		f := p.cleanups[n-1]
		p.cleanups = p.cleanups[:n-1]
		p.mu.Unlock()
		_ = p.Run(f) // a cleanup that calls Fatal must not stop the others
	}
	p.mu.Lock()
	root := p.root
	p.mu.Unlock()
	if root != "" {
		if err := os.RemoveAll(root); err != nil {
			p.Logf("remove %s: %v", root, err)
		}
	}
}

// Name returns the name given to NewProgram.
func (p *Program) Name() string { return p.name }

// Helper does nothing: a program's log lines carry no file:line.
func (p *Program) Helper() {}

// Cleanup registers f to run in Close.
func (p *Program) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

// Context is cancelled when Close begins.
func (p *Program) Context() context.Context { return p.ctx }

// Output is where Log writes.
func (p *Program) Output() io.Writer { return p.out }

// Log writes its arguments, as fmt.Sprintln formats them, to the output.
func (p *Program) Log(args ...any) { p.logLine(fmt.Sprintln(args...)) }

// Logf writes a formatted line to the output.
func (p *Program) Logf(format string, args ...any) { p.logLine(fmt.Sprintf(format, args...)) }

func (p *Program) logLine(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "%s: %s\n", p.name, strings.TrimRight(s, "\n"))
}

// Fail marks the program as failed and goes on.
func (p *Program) Fail() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failed = true
}

// Failed reports whether Fail was called.
func (p *Program) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// FailNow marks the program as failed and ends the calling goroutine.
func (p *Program) FailNow() {
	p.Fail()
	runtime.Goexit()
}

// Error is Log and Fail.
func (p *Program) Error(args ...any) { p.Log(args...); p.Fail() }

// Errorf is Logf and Fail.
func (p *Program) Errorf(format string, args ...any) { p.Logf(format, args...); p.Fail() }

// Fatal is Log and FailNow.
func (p *Program) Fatal(args ...any) { p.Log(args...); p.FailNow() }

// Fatalf is Logf and FailNow.
func (p *Program) Fatalf(format string, args ...any) { p.Logf(format, args...); p.FailNow() }

// SkipNow marks the program as skipped and ends the calling goroutine: for a program,
// a missing server is as final as a failure, but the reason reads better.
func (p *Program) SkipNow() {
	p.mu.Lock()
	p.skipped = true
	p.mu.Unlock()
	runtime.Goexit()
}

// Skip is Log and SkipNow.
func (p *Program) Skip(args ...any) { p.Log(args...); p.SkipNow() }

// Skipf is Logf and SkipNow.
func (p *Program) Skipf(format string, args ...any) { p.Logf(format, args...); p.SkipNow() }

// Skipped reports whether SkipNow was called.
func (p *Program) Skipped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.skipped
}

// TempDir returns a new directory that Close removes. The root of all of them is
// made under $TMPDIR, which must be traversable by Dovecot's mail user when running
// as root (see StartDovecot).
func (p *Program) TempDir() string {
	dir, err := p.newTempDir()
	if err != nil {
		p.Fatalf("make a temporary directory: %v", err)
	}
	return dir
}

func (p *Program) newTempDir() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.root == "" {
		root, err := os.MkdirTemp("", p.name+"-")
		if err != nil {
			return "", err
		}
		p.root = root
	}
	p.dirs++
	dir := filepath.Join(p.root, fmt.Sprintf("%03d", p.dirs))
	return dir, os.Mkdir(dir, 0o700)
}

// ArtifactDir returns a directory that Close removes: a program keeps no artifacts.
func (p *Program) ArtifactDir() string { return p.TempDir() }

// Attr logs the attribute.
func (p *Program) Attr(key, value string) { p.Logf("attr %s=%s", key, value) }

// Setenv sets an environment variable until Close.
func (p *Program) Setenv(key, value string) {
	old, had := os.LookupEnv(key)
	if err := os.Setenv(key, value); err != nil {
		p.Fatalf("setenv %s: %v", key, err)
	}
	p.Cleanup(func() {
		if had {
			_ = os.Setenv(key, old)
		} else {
			_ = os.Unsetenv(key)
		}
	})
}

// Chdir changes the working directory until Close.
func (p *Program) Chdir(dir string) {
	old, err := os.Getwd()
	if err == nil {
		err = os.Chdir(dir)
	}
	if err != nil {
		p.Fatalf("chdir %s: %v", dir, err)
	}
	p.Cleanup(func() { _ = os.Chdir(old) })
}
