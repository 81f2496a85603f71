package mbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/deliver"
	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

var trace = deliver.Trace{AddReceived: true, Hostname: "box"}

type fixture struct {
	dir, path, spool string
}

func newFixture(t testing.TB) fixture {
	dir := t.TempDir()
	return fixture{dir: dir, path: filepath.Join(dir, "mbox"), spool: filepath.Join(dir, "spool")}
}

func (fx fixture) open(t testing.TB, opts Options) *Mbox {
	t.Helper()
	opts.Spool = fx.spool
	m, err := New(fx.path, opts)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func envelope(uid uint32) *fetch.Envelope {
	return &fetch.Envelope{Account: "acct", Server: "pop.example.org", Protocol: "POP3",
		Folder: "INBOX", Ref: fetch.Ref{UIDL: "u" + string(rune('a'+uid%26)), Size: -1},
		Received: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
}

func stage(t testing.TB, m *Mbox, body io.Reader) fetch.Staged {
	t.Helper()
	s, err := m.Stage(context.Background(), envelope(1), body)
	if err != nil {
		t.Fatalf("Stage = %v", err)
	}
	return s
}

func publish(t testing.TB, m *Mbox, batch ...fetch.Staged) {
	t.Helper()
	for i, err := range m.Publish(context.Background(), batch) {
		if err != nil {
			t.Fatalf("Publish[%d] = %v", i, err)
		}
	}
}

// readMbox splits an mboxrd file into messages the way a reader does: a line starting
// with "From " separates messages; the blank line before it belongs to the format.
func readMbox(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var msgs [][]byte
	for len(data) > 0 {
		if !bytes.HasPrefix(data, []byte("From ")) {
			t.Fatalf("mbox does not start with a From line: %.40q", data)
		}
		data = data[bytes.IndexByte(data, '\n')+1:]
		end := bytes.Index(data, []byte("\nFrom "))
		if end < 0 {
			end = len(data) - 1
		}
		msg := data[:end] // without the blank line's '\n'
		msgs = append(msgs, unquote(msg))
		data = data[end+1:]
	}
	return msgs
}

// want is what a reader must get back for body: trace header, body, and a final newline
// added if it lacked one.
func want(body []byte) []byte {
	w := append(trace.Header(envelope(1)), body...)
	if len(w) > 0 && w[len(w)-1] != '\n' {
		w = append(w, '\n')
	}
	return w
}

func nasty() []([]byte) {
	long := bytes.Repeat([]byte("y"), 100<<10)
	return [][]byte{
		[]byte("Return-Path: <sender@example.org>\nSubject: hi\n\nhello\n"),
		append(append([]byte("Subject: long\n\n"), long...), '\n'),
		[]byte("Subject: dots\n\n.\n..\n.\n"),
		[]byte("Subject: nul\n\na\x00b\x00\n"),
		[]byte("Subject: Gr\xfc\xdfe \xff\xfe\n\nk\xf6rper\n"),
		[]byte("Subject: nofinal\n\nlast line"),
		[]byte("Subject: headers only\n"),
		[]byte("Subject: from\n\nFrom the start\n>From quoted\n>>From twice\nFrom"),
		[]byte("From: x\n\n\n\n"),
		{},
	}
}

func TestNastyMessagesRoundTrip(t *testing.T) {
	fx := newFixture(t)
	m := fx.open(t, Options{Trace: trace})
	var batch []fetch.Staged
	for _, body := range nasty() {
		batch = append(batch, stage(t, m, bytes.NewReader(body)))
	}
	publish(t, m, batch[:3]...)
	publish(t, m, batch[3:]...)
	got := readMbox(t, fx.path)
	if len(got) != len(nasty()) {
		t.Fatalf("mbox holds %d messages, want %d", len(got), len(nasty()))
	}
	for i, body := range nasty() {
		if !bytes.Equal(got[i], want(body)) {
			t.Errorf("message %d: read back %.80q, want %.80q", i, got[i], want(body))
		}
	}
	data, _ := os.ReadFile(fx.path)
	if !bytes.HasPrefix(data, []byte("From sender@example.org ")) {
		t.Errorf("first From line: %.60q", data)
	}
	for _, s := range batch {
		o, err := m.Check(s.Receipt())
		if err != nil || o != fetch.Delivered {
			t.Errorf("Check(%s) = %v, %v", s.Receipt(), o, err)
		}
	}
	if ents, _ := os.ReadDir(fx.spool); len(ents) != 2 {
		t.Errorf("spool holds %d files after Publish, want the 2 batch records", len(ents))
	}
}

// formail (procmail) splits our mbox into the same messages.
func TestFormailReadsIt(t *testing.T) {
	if _, err := exec.LookPath("formail"); err != nil {
		t.Skip("formail not installed")
	}
	fx := newFixture(t)
	m := fx.open(t, Options{Trace: trace})
	bodies := nasty()[:8]
	var batch []fetch.Staged
	for _, body := range bodies {
		batch = append(batch, stage(t, m, bytes.NewReader(body)))
	}
	publish(t, m, batch...)
	out := filepath.Join(fx.dir, "split")
	os.Mkdir(out, 0o700)
	in, _ := os.Open(fx.path)
	defer in.Close()
	cmd := exec.Command("formail", "-b", "-s", "sh", "-c", `cat > "$0/$FILENO"`, out)
	cmd.Stdin = in
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("formail: %v: %s", err, b)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(files) != len(bodies) {
		t.Fatalf("formail split %d messages, want %d", len(files), len(bodies))
	}
	for i, f := range files {
		data, _ := os.ReadFile(f)
		data = data[bytes.IndexByte(data, '\n')+1:] // the From line
		data = bytes.TrimSuffix(data, []byte("\n")) // the blank line
		if got := unquote(data); !bytes.Equal(got, want(bodies[i])) {
			t.Errorf("formail message %d: %.80q, want %.80q", i, got, want(bodies[i]))
		}
	}
}

func TestAppendsAfterForeignContent(t *testing.T) {
	for _, existing := range []string{"", "From x Thu Jan  1 00:00:00 2026\n\nno blank", "From x Thu Jan  1 00:00:00 2026\n\nend\n", "From x Thu Jan  1 00:00:00 2026\n\nend\n\n"} {
		fx := newFixture(t)
		if existing != "" {
			os.WriteFile(fx.path, []byte(existing), 0o600)
		}
		m := fx.open(t, Options{})
		publish(t, m, stage(t, m, strings.NewReader("Subject: new\n\nbody\n")))
		msgs := readMbox(t, fx.path)
		if last := msgs[len(msgs)-1]; string(last) != "Subject: new\n\nbody\n" {
			t.Errorf("after %q: last message %q", existing, last)
		}
		data, _ := os.ReadFile(fx.path)
		if !strings.HasPrefix(string(data), existing) {
			t.Errorf("existing content changed: %q", data)
		}
	}
}

func TestHugeMessageBoundedMemory(t *testing.T) {
	fx := newFixture(t)
	m := fx.open(t, Options{})
	line := []byte("From base64 QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n")
	size := int64((30 << 20) / len(line) * len(line)) // whole lines: no newline added
	src := func() io.Reader {
		return io.MultiReader(strings.NewReader("Subject: big\n\n"),
			io.LimitReader(&repeat{line: line}, size))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := stage(t, m, src())
	publish(t, m, s)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("Stage+Publish of 30 MB allocated %d bytes", alloc)
	}
	msgs := readMbox(t, fx.path)
	wantSum := sha256.New()
	io.Copy(wantSum, src())
	if len(msgs) != 1 || sha256.Sum256(msgs[0]) != [32]byte(wantSum.Sum(nil)) {
		t.Errorf("30 MB message differs after the round trip")
	}
}

type repeat struct {
	line []byte
	off  int
}

func (r *repeat) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		c := copy(b[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

func TestModes(t *testing.T) {
	fx := newFixture(t)
	m := fx.open(t, Options{})
	s := stage(t, m, strings.NewReader("x\n"))
	check := func(p string, want os.FileMode) {
		t.Helper()
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, %v; want %v", p, fi.Mode(), err, want)
		}
	}
	check(fx.spool, 0o700)
	check(filepath.Join(fx.spool, s.Receipt()), 0o600)
	publish(t, m, s)
	check(fx.path, 0o600)
	check(filepath.Join(fx.spool, s.Receipt()+recordSuffix), 0o600)
	if _, err := os.Stat(fx.path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("dotlock left behind: %v", err)
	}
}

func TestDiscardAndErrors(t *testing.T) {
	fx := newFixture(t)
	m := fx.open(t, Options{})
	s := stage(t, m, strings.NewReader("x\n"))
	if err := s.Discard(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(fx.spool, s.Receipt())); !os.IsNotExist(err) {
		t.Errorf("spool file after Discard: %v", err)
	}
	errs := m.Publish(context.Background(), []fetch.Staged{s})
	if fail.KindOf(errs[0]) != fail.Internal {
		t.Errorf("Publish of a discarded message = %v", errs[0])
	}
	if _, err := New(fx.path, Options{}); fail.KindOf(err) != fail.Config {
		t.Errorf("New without a spool = %v, want a config error", err)
	}
	for _, r := range []string{"", "x", "../1.P1Q1Rab.msg", "1.P1/x.msg", "a.Pb.msg"} {
		if _, err := m.Check(r); err == nil {
			t.Errorf("Check(%q) succeeded", r)
		}
	}
}
