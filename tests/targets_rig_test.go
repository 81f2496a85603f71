package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// imapTo is imapAccount with another delivery target: target is the line (or lines)
// that take the place of `maildir = ...`, e.g. `mbox = "/tmp/x/inbox"`.
func (w *world) imapTo(name, target string, extra ...string) string {
	return w.imapAccount(name, append([]string{"-maildir", target}, extra...)...)
}

// corpus is the nasty corpus with a small attachment, so that every target test stays
// quick; the 20 MB attachment runs in TestIMAPKeepModeByteExact.
func corpus() [][]byte { return messages(testlib.NastyWith(256 << 10)) }

// fixture writes a test fixture of mode 0600 (procmail and maildrop refuse rc files
// others may write) and returns its path.
func fixture(t *testing.T, path, body string) string {
	t.Helper()
	writeFile(t, path, body, 0o600)
	return path
}

// needProgram skips (or, under FETCHSECURE_REQUIRE_SERVERS=1, fails) without prog.
func needProgram(t *testing.T, prog string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		return testlib.RequireServer(t, prog)
	}
	return p
}

// output is a run's stdout and stderr together, for assertions on what the user sees.
func output(r *testlib.Result) string { return string(r.Stdout) + string(r.Stderr) }

// readMbox splits an mboxrd file the way mutt and Dovecot read it: a message starts at
// a "From " line at the start of the file or after a blank line, and ends with the
// blank line before the next one; ">From " lines lose one '>' (mboxrd). It returns the
// messages with their separators removed.
func readMbox(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read mbox: %v", err)
	}
	if len(data) == 0 {
		return nil
	}
	if !bytes.HasPrefix(data, []byte("From ")) {
		t.Fatalf("mbox does not start with a From line: %q", data[:min(len(data), 80)])
	}
	var msgs [][]byte
	for _, part := range bytes.Split(data[len("From "):], []byte("\n\nFrom ")) {
		_, body, ok := bytes.Cut(part, []byte("\n"))
		if !ok {
			t.Fatalf("mbox separator without a message: %q", part)
		}
		msgs = append(msgs, unquoteFrom(body))
	}
	last := msgs[len(msgs)-1]
	if !bytes.HasSuffix(last, []byte("\n\n")) && !bytes.Equal(last, []byte("\n")) {
		t.Fatalf("mbox does not end with a blank line")
	}
	msgs[len(msgs)-1] = last[:len(last)-1]
	for i := range msgs[:len(msgs)-1] {
		msgs[i] = append(msgs[i], '\n') // the split took the message's last newline
	}
	return msgs
}

// unquoteFrom undoes mboxrd quoting: a line ">+From " loses its first '>'.
func unquoteFrom(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	for i, l := range lines {
		if j := bytes.IndexFunc(l, func(r rune) bool { return r != '>' }); j > 0 && bytes.HasPrefix(l[j:], []byte("From ")) {
			lines[i] = l[1:]
		}
	}
	return bytes.Join(lines, nil)
}

// formailCount counts the messages of an mbox with procmail's formail, a second,
// independent reader of the format.
func formailCount(t *testing.T, path string) int {
	t.Helper()
	needProgram(t, "formail")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("formail", "-s", "sh", "-c", "cat >/dev/null; echo x")
	cmd.Stdin = f
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("formail: %v", err)
	}
	return bytes.Count(out, []byte("x\n"))
}

// withFinalNewline is what mbox, SMTP and LMTP deliver: a message that does not end
// with a newline gets one (an mbox message and SMTP DATA must end with a line).
func withFinalNewline(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return b
	}
	return append(append([]byte(nil), b...), '\n')
}

// tempDir returns a directory under the world's, created.
func (w *world) tempDir(name string) string {
	d := filepath.Join(w.dir, name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		w.t.Fatal(err)
	}
	return d
}
