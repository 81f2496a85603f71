package testlib

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// builds holds what BuildBinary built in this test process.
var builds struct {
	mu   sync.Mutex
	dir  string // set by Main; "" builds per test
	pkgs map[string]*build
}

type build struct {
	once sync.Once
	path string
	err  error
}

// Main runs a package's tests and then removes the binaries [BuildBinary] built, so
// that each is built once per test process and nothing is left behind:
//
//	func TestMain(m *testing.M) { testlib.Main(m) }
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "testlib-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testlib: make build directory:", err)
		os.Exit(1)
	}
	builds.mu.Lock()
	builds.dir = dir
	builds.mu.Unlock()
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "testlib: remove build directory:", err)
	}
	os.Exit(code)
}

// BuildBinary builds the main package pkg ("./cmd/fetchsecure", relative to the module
// root, or a full import path) and returns the binary's path. Under [Main] it builds
// once per test process; without it, once per test into the test's temporary
// directory (correct, only slower).
func BuildBinary(t testing.TB, pkg string) string {
	t.Helper()
	builds.mu.Lock()
	dir := builds.dir
	if builds.pkgs == nil {
		builds.pkgs = map[string]*build{}
	}
	b := builds.pkgs[pkg]
	if b == nil {
		b = &build{}
		builds.pkgs[pkg] = b
	}
	builds.mu.Unlock()
	if dir == "" {
		p, err := goBuild(pkg, t.TempDir())
		if err != nil {
			t.Fatalf("%v", err)
		}
		return p
	}
	b.once.Do(func() { b.path, b.err = goBuild(pkg, dir) })
	if b.err != nil {
		t.Fatalf("%v", b.err)
	}
	return b.path
}

// goBuild runs go build in the module root, so that a relative pkg means the same
// from every package's tests.
func goBuild(pkg, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, path.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build ships it
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, stderr.Bytes())
	}
	return out, nil
}

// moduleRoot is the nearest directory at or above the working directory (a test's
// working directory is its package) holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// Result is what a finished command did.
type Result struct {
	Stdout, Stderr []byte
	Code           int // exit status; -1 if a signal ended it
	Elapsed        time.Duration
}

func (r *Result) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout:\n%s\nstderr:\n%s", r.Code, r.Elapsed.Round(time.Millisecond),
		strings.TrimSpace(string(r.Stdout)), strings.TrimSpace(string(r.Stderr)))
}

// RunTimeout bounds [Run]: generous, so that a slow machine does not fail a test, but
// a hung binary does.
const RunTimeout = 2 * time.Minute

// Run runs bin with args and returns its output and exit status. A non-zero exit is
// not a failure (tests assert it); failing to start, or running past RunTimeout, is.
func Run(t testing.TB, bin string, args ...string) *Result {
	t.Helper()
	return RunCommand(t, exec.Command(bin, args...), RunTimeout)
}

// RunCommand runs a prepared command (for its Env, Dir or Stdin) like [Run], killing
// it after timeout. Stdout and Stderr must be unset; they are captured.
func RunCommand(t testing.TB, cmd *exec.Cmd, timeout time.Duration) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second // do not wait for grandchildren holding the pipes
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	stop()
	r := &Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Code: cmd.ProcessState.ExitCode(),
		Elapsed: time.Since(begin)}
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v; killed\n%s", filepath.Base(cmd.Path), timeout, r)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("run %s: %v\n%s", filepath.Base(cmd.Path), err, r)
	}
	return r
}
