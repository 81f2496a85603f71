package secret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

func resolve(t *testing.T, src Source) (Secret, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return src.Resolve(ctx)
}

func TestResolveCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv []string
		want string
	}{
		{"first line", []string{"printf", `hunter2\nsecond line\n`}, "hunter2"},
		{"crlf", []string{"printf", `hunter2\r\n`}, "hunter2"},
		{"no newline", []string{"printf", "hunter2"}, "hunter2"},
		{"spaces kept", []string{"printf", ` pass word \n`}, " pass word "},
		// No shell: a command substitution stays a literal argument.
		{"no shell", []string{"echo", "$(rm -rf /)", "`id`", ";", "|", "*"}, "$(rm -rf /) `id` ; | *"},
		{"stdin is /dev/null", []string{"sh", "-c", `read x; echo "got:$x"`}, "got:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolve(t, Source{Command: tc.argv})
			if err != nil || got.Reveal() != tc.want {
				t.Errorf("Resolve = %q, %v; want %q", got.Reveal(), err, tc.want)
			}
		})
	}
}

func TestResolveCommandFails(t *testing.T) {
	script := `echo hunter2; echo "gpg: decryption failed: No secret key" >&2; echo more >&2; exit 2`
	_, err := resolve(t, Source{Command: []string{"sh", "-c", script}})
	msg := err.Error()
	if fail.KindOf(err) != fail.Auth || strings.Contains(msg, "hunter2") ||
		!strings.Contains(msg, `command "sh" failed: exit status 2: gpg: decryption failed: No secret key`) ||
		strings.Contains(msg, "more") || strings.Contains(msg, "echo") {
		t.Errorf("err = %q (%v)", msg, fail.KindOf(err))
	}
}

func TestResolveCommandPrintsNothing(t *testing.T) {
	_, err := resolve(t, Source{Command: []string{"sh", "-c", "echo; echo hunter2"}})
	if fail.KindOf(err) != fail.Auth || strings.Contains(err.Error(), "hunter2") ||
		!strings.Contains(err.Error(), "printed no secret") {
		t.Errorf("err = %v (%v)", err, fail.KindOf(err))
	}
}

func TestResolveCommandNotFound(t *testing.T) {
	for _, argv := range [][]string{{"fetchsecure-no-such-command"}, {"/nonexistent/bin/pw"}, {"pass show mail"}} {
		_, err := resolve(t, Source{Command: argv})
		if fail.KindOf(err) != fail.Config || !strings.Contains(err.Error(), argv[0]) || fail.HintOf(err) == "" {
			t.Errorf("%q: err = %v (%v)", argv, err, fail.KindOf(err))
		}
	}
}

func TestResolveCommandCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := Source{Command: []string{"sleep", "60"}}.Resolve(ctx)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 20*time.Second {
		t.Errorf("err = %v after %v", err, time.Since(start))
	}
}

func TestResolveCommandFloods(t *testing.T) {
	// Megabytes on stdout and stderr: bounded buffers, no deadlock, first line kept.
	script := `echo hunter2; head -c 5000000 /dev/zero; head -c 5000000 /dev/zero >&2`
	got, err := resolve(t, Source{Command: []string{"sh", "-c", script}})
	if err != nil || got.Reveal() != "hunter2" {
		t.Errorf("Resolve = %q, %v", got.Reveal(), err)
	}
}

func TestResolveFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := resolve(t, Source{File: write("ok", "hunter2\r\nrest\n", 0o600)})
	if err != nil || got.Reveal() != "hunter2" {
		t.Errorf("Resolve = %q, %v", got.Reveal(), err)
	}
	for _, tc := range []struct {
		path string
		kind fail.Kind
		want string
	}{
		{write("open", "hunter2\n", 0o644), fail.Insecure, "has mode 0644"},
		{write("group", "hunter2\n", 0o640), fail.Insecure, "has mode 0640"},
		{write("empty", "\nhunter2\n", 0o600), fail.Config, "empty first line"},
		{filepath.Join(dir, "missing"), fail.Config, "no such file"},
	} {
		_, err := resolve(t, Source{File: tc.path})
		if fail.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.want) ||
			strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: err = %v (%v)", tc.path, err, fail.KindOf(err))
		}
	}
	if _, err := resolve(t, Source{File: filepath.Join(dir, "open")}); !strings.Contains(fail.HintOf(err), "chmod 600") {
		t.Errorf("hint = %q", fail.HintOf(err))
	}
}

func TestResolveLiteralAndNone(t *testing.T) {
	if got, err := resolve(t, Source{Literal: "hunter2"}); err != nil || got.Reveal() != "hunter2" {
		t.Errorf("literal: %q, %v", got.Reveal(), err)
	}
	_, err := resolve(t, Source{})
	if !errors.Is(err, ErrNoSource) || fail.KindOf(err) != fail.Config {
		t.Errorf("none: %v", err)
	}
}

func TestResolveCommandTimeout(t *testing.T) {
	defer func(d time.Duration) { commandTimeout = d }(commandTimeout)
	commandTimeout = 200 * time.Millisecond
	// The grandchild keeps stdout open after the shell is killed: Resolve must not wait
	// for it longer than WaitDelay. Its pid comes back in the error (first stderr line),
	// so that the test can end it.
	start := time.Now()
	_, err := resolve(t, Source{Command: []string{"sh", "-c", "sleep 30 & echo $! >&2; exec sleep 30"}})
	if err == nil {
		t.Fatal("no error")
	}
	_, pid, _ := strings.Cut(err.Error(), "timed out after 200ms: ")
	if n, perr := strconv.Atoi(pid); perr == nil && n > 1 {
		_ = syscall.Kill(n, syscall.SIGKILL)
	} else {
		t.Errorf("no pid in %q", err)
	}
	if fail.KindOf(err) != fail.Auth || time.Since(start) > 20*time.Second {
		t.Errorf("err = %v (%v) after %v", err, fail.KindOf(err), time.Since(start))
	}
}
