package tunnel

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// cmdConn is the stream of a tunnel_command: the command's stdin and stdout, like
// fetchmail's plugin and mbsync's Tunnel. The command runs without a shell.
type cmdConn struct {
	cmd    *exec.Cmd
	name   string
	stdin  *os.File // our end of the command's stdin
	stdout *os.File // our end of the command's stdout
	stderr *tail
	done   chan struct{} // closed when the command has been waited for
	err    error         // its exit status, valid after done

	closeOnce sync.Once
}

// startCommand starts argv. The pipes are made here rather than by exec's StdinPipe and
// StdoutPipe, because exec closes those when the process exits, which would lose output
// not read yet.
func startCommand(argv []string, server string) (*cmdConn, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	c := &cmdConn{name: commandName(argv), stdin: inW, stdout: outR, stderr: &tail{}, done: make(chan struct{})}
	c.cmd = exec.Command(argv[0], argv[1:]...)
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = inR, outW, c.stderr
	c.cmd.WaitDelay = 2 * time.Second // a grandchild holding stderr must not hang Close
	err = c.cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fail.Hint(fail.Config, fmt.Errorf("tunnel_command for %s: %w", server, err),
			"tunnel_command is run without a shell: give the program and its arguments as a list")
	}
	go func() { c.err = c.cmd.Wait(); close(c.done) }()
	return c, nil
}

// commandName is how messages name a tunnel command: its program's base name.
func commandName(argv []string) string { return filepath.Base(argv[0]) }

func (c *cmdConn) Read(p []byte) (int, error) {
	n, err := c.stdout.Read(p)
	if err != nil {
		err = c.explain(err)
	}
	return n, err
}

func (c *cmdConn) Write(p []byte) (int, error) {
	n, err := c.stdin.Write(p)
	if err != nil {
		err = c.explain(err)
	}
	return n, err
}

// explain adds the command's exit status and the end of its stderr to an I/O error,
// when the command has ended (or ends within a moment).
func (c *cmdConn) explain(err error) error {
	if errors.Is(err, os.ErrClosed) {
		return net.ErrClosed
	}
	select {
	case <-c.done:
	case <-time.After(time.Second):
		return err
	}
	status := "exited"
	if c.err != nil {
		status = c.err.Error()
	}
	if c.err == nil && c.stderr.empty() && err == io.EOF {
		return err // a clean end: the server closed the session
	}
	return fail.Wrap(fail.Temporary, fmt.Errorf("tunnel command %s: %s%s", c.name, status, c.stderr.suffix()))
}

// Close closes the pipes, kills the command and waits for it.
func (c *cmdConn) Close() error {
	c.closeOnce.Do(func() {
		c.stdin.Close()
		c.stdout.Close()
		if c.cmd.Process != nil {
			c.cmd.Process.Kill()
		}
		<-c.done
	})
	return nil
}

func (c *cmdConn) LocalAddr() net.Addr                { return cmdAddr(c.name) }
func (c *cmdConn) RemoteAddr() net.Addr               { return cmdAddr(c.name) }
func (c *cmdConn) SetDeadline(t time.Time) error      { return nil }
func (c *cmdConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *cmdConn) SetWriteDeadline(t time.Time) error { return nil }

// cmdAddr is the address of a tunnel command's stream.
type cmdAddr string

func (a cmdAddr) Network() string { return "command" }
func (a cmdAddr) String() string  { return string(a) }

// tail keeps the last bytes written to it: a command's stderr, for error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 2048

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailMax:]...)
	}
	return len(p), nil
}

func (t *tail) empty() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(strings.TrimSpace(string(t.buf))) == 0
}

// suffix is ": " and the last three lines written, on one line, or "".
func (t *tail) suffix() string {
	t.mu.Lock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	t.mu.Unlock()
	lines = lines[max(0, len(lines)-3):]
	s := strings.TrimSpace(strings.Join(lines, " | "))
	if s == "" {
		return ""
	}
	return ": " + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
