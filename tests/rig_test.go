package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// world is one test's setup: a Dovecot with user alex, a maildir, a state dir and a
// config file being written.
type world struct {
	t       *testing.T
	bin     string
	dc      *testlib.Dovecot
	dir     string
	maildir string
	config  string
}

const password = "s3cret-Pa55"

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, bin: testlib.BuildBinary(t, "./cmd/fetchsecure"), dir: t.TempDir()}
	w.dc = testlib.StartDovecot(t, testlib.DovecotOptions{})
	w.dc.AddUser(t, "alex", password)
	w.maildir = filepath.Join(w.dir, "Maildir")
	w.config = filepath.Join(w.dir, "config.toml")
	return w
}

// account returns a config account table for Dovecot's IMAPS port; extra lines
// override or add keys.
func (w *world) imapAccount(name string, extra ...string) string {
	ca := w.dc.CA
	if ca == nil { // a Dovecot without TLS: any CA will do, the client refuses first
		ca = testlib.NewCA(w.t)
	}
	lines := []string{
		fmt.Sprintf("[account.%s]", name),
		`protocol = "imap"`,
		`host = "127.0.0.1"`,
		fmt.Sprintf("port = %d", w.dc.IMAPS),
		`tls = "tls"`,
		fmt.Sprintf("ca_file = %q", ca.File),
		`user = "alex"`,
		fmt.Sprintf("password = %q", password),
		fmt.Sprintf("maildir = %q", w.maildir),
	}
	return testlib.ConfigTable(lines, extra)
}

func (w *world) writeConfig(tables ...string) {
	w.t.Helper()
	body := fmt.Sprintf("state_dir = %q\n\n", filepath.Join(w.dir, "state")) + strings.Join(tables, "\n")
	if err := os.WriteFile(w.config, []byte(body), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) run(args ...string) *testlib.Result {
	w.t.Helper()
	return testlib.Run(w.t, w.bin, append([]string{"-c", w.config}, args...)...)
}

// mustRun runs fetchsecure --once and fails the test unless it exits with code.
func (w *world) mustRun(code int, args ...string) *testlib.Result {
	w.t.Helper()
	r := w.run(append([]string{"--once"}, args...)...)
	if r.Code != code {
		w.t.Fatalf("fetchsecure %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.Code, code, r.Stdout, r.Stderr)
	}
	return r
}

func (w *world) delivered() [][]byte {
	return testlib.Contents(testlib.ReadMaildir(w.t, w.maildir))
}

func messages(ms []testlib.Message) [][]byte {
	out := make([][]byte, len(ms))
	for i, m := range ms {
		out[i] = m.Data
	}
	return out
}

func mapBytes(in [][]byte, f func([]byte) []byte) [][]byte {
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = f(b)
	}
	return out
}
