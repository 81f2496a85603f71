package secret

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
	"unicode"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// commandTimeout bounds how long a secret command may run (a variable for tests).
var commandTimeout = 30 * time.Second

// runCommand runs argv without a shell (arguments stay literal: nothing is expanded),
// with standard input from /dev/null, and returns the first line of its standard output.
func runCommand(ctx context.Context, argv []string) (Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	name := argv[0]
	cmd := exec.CommandContext(ctx, name, argv[1:]...)
	// cmd.Stdin stays nil: the child reads /dev/null. Output is captured in bounded
	// buffers that keep draining, so a chatty command cannot block or fill memory.
	stdout, stderr := &capped{max: maxLine}, &capped{max: 4096}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A grandchild that keeps the pipes open must not keep us waiting after the kill.
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	defer clear(stdout.buf)
	if err != nil {
		return "", commandError(ctx, name, err, stderr.buf)
	}
	line, _ := firstLine(bytes.NewReader(stdout.buf))
	if line == "" {
		return "", fail.Hint(fail.Auth, fmt.Errorf("command %q printed no secret%s", name,
			stderrSuffix(stderr.buf)), "it must print the secret on the first line of its output")
	}
	return Secret(line), nil
}

// commandError explains why the command failed, quoting the first line of its standard
// error (never of its standard output, which may hold the secret).
func commandError(ctx context.Context, name string, err error, stderr []byte) error {
	var exit *exec.ExitError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fail.Hint(fail.Auth, fmt.Errorf("command %q timed out after %v%s", name,
			commandTimeout, stderrSuffix(stderr)),
			"the command must print the secret without waiting for input (its stdin is /dev/null)")
	case ctx.Err() != nil:
		return fmt.Errorf("command %q: %w", name, ctx.Err())
	case errors.As(err, &exit):
		return fail.Wrap(fail.Auth, fmt.Errorf("command %q failed: %w%s", name, err,
			stderrSuffix(stderr)))
	}
	return fail.Hint(fail.Config, fmt.Errorf("command %q: %w", name, err),
		"check the command's name; it is run without a shell, so give its arguments as separate strings")
}

// stderrSuffix returns ": <first line of stderr>", cleaned of control characters and
// shortened, or "" if there is none.
func stderrSuffix(stderr []byte) string {
	line, _, _ := strings.Cut(string(stderr), "\n")
	line = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, line))
	if len(line) > 200 {
		line = strings.ToValidUTF8(line[:200], "") + "…"
	}
	if line == "" {
		return ""
	}
	return ": " + line
}

// capped is an io.Writer that keeps the first max bytes and discards the rest.
type capped struct {
	buf []byte
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
