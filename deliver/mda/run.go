package mda

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/fetchsecure/fetchsecure/deliver/spool"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

const (
	// exTempFail is EX_TEMPFAIL from sysexits.h: "try again later".
	exTempFail = 75
	// outputTail is how much of the MDA's output is kept for the error message.
	outputTail = 4 << 10
	// waitDelay bounds the wait for pipes that a background child of the MDA keeps
	// open after the MDA exited, and for a killed process group to go away.
	waitDelay = 5 * time.Second
)

// deliver runs the MDA with msg's spool file as its standard input.
func (m *MDA) deliver(ctx context.Context, msg *spool.Message) error {
	from := ""
	if m.tmpl.uses('F') {
		sender, err := msg.Sender()
		if err != nil {
			return err
		}
		from = envelopeSender(sender)
	}
	argv := m.tmpl.expand(m.to, from)
	f, err := msg.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	return m.run(ctx, argv, f)
}

// run runs argv with stdin. The file itself becomes the child's standard input, so the
// message never passes through this process again and a slow MDA holds up nothing.
func (m *MDA) run(ctx context.Context, argv []string, stdin *os.File) error {
	tctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, m.path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Stdin = stdin
	out := &tail{max: outputTail}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that a timeout kills whatever the MDA started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	if err == nil {
		return nil
	}
	return m.classify(ctx, tctx, cmd, err, out.String())
}

// classify turns the outcome of a failed run into an error of the right kind.
func (m *MDA) classify(ctx, tctx context.Context, cmd *exec.Cmd, err error, out string) error {
	name := cmd.Args[0]
	if out != "" {
		out = "; output: " + out
	}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return fail.Wrap(fail.Temporary, fmt.Errorf("mda %s interrupted: %w", name, ctx.Err()))
	case tctx.Err() != nil:
		return fail.Hint(fail.Temporary, fmt.Errorf("mda %s took longer than %v and was killed%s", name, m.timeout, out),
			"the message stays on the server; check why the delivery agent hangs (a lock, a slow filter)")
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success():
		return nil // it exited 0; a background child kept its output open
	case !errors.As(err, &exit):
		return fail.Wrap(fail.Temporary, fmt.Errorf("run mda %s: %w", name, err))
	}
	ws, _ := exit.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		return fail.Errorf(fail.Delivery, "mda %s killed by signal %v%s", name, ws.Signal(), out)
	case ws.ExitStatus() == exTempFail:
		return fail.Hint(fail.Temporary, fmt.Errorf("mda %s failed temporarily (exit status 75, EX_TEMPFAIL)%s", name, out),
			"the message stays on the server and is tried again next run")
	}
	code := ws.ExitStatus()
	return fail.Hint(fail.Delivery, fmt.Errorf("mda %s refused the message (exit status %d%s)%s", name, code, sysexit(code), out),
		"see the delivery agent's output; the message was not delivered")
}

// sysexit names the sysexits.h codes.
func sysexit(code int) string {
	names := [...]string{"EX_USAGE", "EX_DATAERR", "EX_NOINPUT", "EX_NOUSER", "EX_NOHOST",
		"EX_UNAVAILABLE", "EX_SOFTWARE", "EX_OSERR", "EX_OSFILE", "EX_CANTCREAT", "EX_IOERR",
		"EX_TEMPFAIL", "EX_PROTOCOL", "EX_NOPERM", "EX_CONFIG"}
	if code >= 64 && code-64 < len(names) {
		return ", " + names[code-64]
	}
	return ""
}

// tail keeps the last max bytes written to it. exec.Cmd calls Write from one goroutine
// at a time when Stdout and Stderr are the same tail.
type tail struct {
	max       int
	buf       []byte
	truncated bool
}

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		t.truncated = true
		return n, nil
	}
	if len(t.buf)+len(p) > t.max {
		drop := len(t.buf) + len(p) - t.max
		t.buf = append(t.buf[:0], t.buf[drop:]...)
		t.truncated = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// String returns the output on one line, safe to log: line breaks become " | " and
// other control characters '?'.
func (t *tail) String() string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(t.buf), "?"))
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " | ")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if t.truncated && s != "" {
		s = "..." + s
	}
	return s
}
