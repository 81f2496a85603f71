package maildir

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/deliver"
	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

var trace = deliver.Trace{AddReceived: true, DeliverTo: "me@example.org", Hostname: "box"}

func newMaildir(t testing.TB, root string, opts Options) *Maildir {
	t.Helper()
	m, err := New(root, opts)
	if err != nil {
		t.Fatalf("New(%s) = %v", root, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func envelope(folder string, uid uint32) *fetch.Envelope {
	return &fetch.Envelope{Account: "acct", Server: "imap.example.org", Protocol: "IMAP",
		Security: "TLS1.3", Folder: folder, Ref: fetch.Ref{UID: uid, Size: -1},
		Received: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
}

func stage(t testing.TB, m *Maildir, env *fetch.Envelope, body io.Reader) fetch.Staged {
	t.Helper()
	s, err := m.Stage(context.Background(), env, body)
	if err != nil {
		t.Fatalf("Stage = %v", err)
	}
	return s
}

func publish(t testing.TB, m *Maildir, batch ...fetch.Staged) {
	t.Helper()
	for i, err := range m.Publish(context.Background(), batch) {
		if err != nil {
			t.Fatalf("Publish[%d] = %v", i, err)
		}
	}
}

// deliverOne stages and publishes body and returns the path of the delivered file.
func deliverOne(t *testing.T, m *Maildir, root string, env *fetch.Envelope, body []byte) string {
	t.Helper()
	s := stage(t, m, env, bytes.NewReader(body))
	publish(t, m, s)
	return filepath.Join(root, receiptPath(s.Receipt()))
}

// receiptPath turns a receipt into the path of the file in new/, relative to the root.
func receiptPath(r string) string {
	folder, name, _ := strings.Cut(r, "/")
	if name == "" {
		return filepath.Join("new", folder)
	}
	return filepath.Join(folder, "new", name)
}

func nasty() map[string][]byte {
	long := bytes.Repeat([]byte("x"), 100<<10)
	return map[string][]byte{
		"plain":          []byte("Subject: hi\n\nhello\n"),
		"long line":      append(append([]byte("Subject: long\n\n"), long...), '\n'),
		"long header":    append(append([]byte("X-Long: "), long...), "\n\nbody\n"...),
		"dot lines":      []byte("Subject: dots\n\n.\n..\n...\n.\n"),
		"NUL bytes":      []byte("Subject: nul\n\na\x00b\x00\n\x00"),
		"8-bit header":   []byte("Subject: Gr\xfc\xdfe \xff\xfe invalid\nFrom: J\xc3\xbcrgen <j@x>\n\nk\xf6rper\n"),
		"no final LF":    []byte("Subject: nofinal\n\nlast line"),
		"no body":        []byte("Subject: headers only\n"),
		"empty":          {},
		"From lines":     []byte("Subject: f\n\nFrom me\n>From you\n"),
		"CR left alone":  []byte("Subject: cr\n\na\rb\r\n"),
		"only newlines":  []byte("\n\n\n"),
		"binary garbage": bytes.Repeat([]byte{0, 1, 2, 0xff, '\n', '\r', '.'}, 5000),
	}
}

func TestNastyMessagesByteExact(t *testing.T) {
	for _, tr := range []deliver.Trace{trace, {}} {
		root := t.TempDir()
		m := newMaildir(t, root, Options{Trace: tr})
		for name, body := range nasty() {
			env := envelope("INBOX", 7)
			path := deliverOne(t, m, root, env, body)
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := append(tr.Header(env), body...)
			if !bytes.Equal(got, want) {
				t.Errorf("%s (trace %v): delivered %d bytes, want %d", name, tr.AddReceived, len(got), len(want))
			}
			if !strings.HasSuffix(path, ",S="+strconv.Itoa(len(want))) {
				t.Errorf("%s: name %s lacks ,S=%d", name, path, len(want))
			}
		}
	}
}

// pattern is a deterministic message of n bytes produced without holding it in memory.
type pattern struct{ n, off int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		o := p.off + int64(i)
		b[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/\n"[o%39]
	}
	p.off += int64(len(b))
	return len(b), nil
}

func TestHugeMessageBoundedMemory(t *testing.T) {
	root := t.TempDir()
	m := newMaildir(t, root, Options{})
	const size = 30 << 20
	hdr := "Subject: attachment\nContent-Type: application/octet-stream\n\n"
	body := io.MultiReader(strings.NewReader(hdr), &pattern{n: size})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := stage(t, m, envelope("INBOX", 1), body)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("Stage of a 30 MB message allocated %d bytes", alloc)
	}
	publish(t, m, s)
	f, err := os.Open(filepath.Join(root, receiptPath(s.Receipt())))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, want := sha256.New(), sha256.New()
	io.Copy(got, f)
	io.Copy(want, io.MultiReader(strings.NewReader(hdr), &pattern{n: size}))
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Error("30 MB message differs from the source")
	}
}

func TestModes(t *testing.T) {
	root := filepath.Join(t.TempDir(), "Mail", "box")
	m := newMaildir(t, root, Options{Folders: true})
	a := deliverOne(t, m, root, envelope("INBOX", 1), []byte("a\n"))
	b := deliverOne(t, m, root, envelope("Lists/go-nuts", 2), []byte("b\n"))
	for _, p := range []string{a, b} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", p, fi.Mode(), err)
		}
	}
	for _, d := range []string{"", "cur", "new", "tmp", ".Lists.go-nuts", ".Lists.go-nuts/cur",
		".Lists.go-nuts/new", ".Lists.go-nuts/tmp", ".."} {
		fi, err := os.Stat(filepath.Join(root, d))
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, %v; want a directory of mode 0700", d, fi.Mode(), err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, ".Lists.go-nuts", "maildirfolder")); err != nil {
		t.Errorf("maildirfolder missing: %v", err)
	}
	if !strings.HasPrefix(b, filepath.Join(root, ".Lists.go-nuts", "new")+"/") {
		t.Errorf("folder message delivered to %s", b)
	}
}

func TestNamesUniqueUnderConcurrency(t *testing.T) {
	root := t.TempDir()
	m1 := newMaildir(t, root, Options{})
	m2 := newMaildir(t, root, Options{}) // a second deliverer on the same maildir
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for g := range 8 {
		m := []*Maildir{m1, m2}[g%2]
		wg.Go(func() {
			var batch []fetch.Staged
			for range 100 {
				s, err := m.Stage(context.Background(), envelope("INBOX", 1), strings.NewReader("x\n"))
				if err != nil {
					t.Error(err)
					return
				}
				batch = append(batch, s)
			}
			for _, err := range m.Publish(context.Background(), batch) {
				if err != nil {
					t.Error(err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range batch {
				if seen[s.Receipt()] {
					t.Errorf("duplicate name %s", s.Receipt())
				}
				seen[s.Receipt()] = true
			}
		})
	}
	wg.Wait()
	ents, _ := os.ReadDir(filepath.Join(root, "new"))
	if len(ents) != 800 || len(seen) != 800 {
		t.Errorf("new/ holds %d files, %d names; want 800", len(ents), len(seen))
	}
}

func TestUniqueNameForm(t *testing.T) {
	m := &Maildir{host: `a\057b\072c`, pid: 456}
	n := m.uniqueName(time.Unix(1764236400, 123000))
	if !strings.HasPrefix(n, "1764236400.M123P456Q1R") || !strings.HasSuffix(n, `.a\057b\072c`) {
		t.Errorf("uniqueName = %q", n)
	}
	if got := tmpName(withSize(n, 1234)); got != n {
		t.Errorf("tmpName(withSize(n)) = %q, want %q", got, n)
	}
}

func TestPublishGroupCommit(t *testing.T) {
	root := t.TempDir()
	m := newMaildir(t, root, Options{Folders: true, Parallel: 4})
	folders := []string{"INBOX", "Lists/go-nuts", "Archive/2026"}
	var batch []fetch.Staged
	var bodies [][]byte
	for i := range 300 {
		body := []byte("Subject: " + strconv.Itoa(i) + "\n\nbody\n")
		bodies = append(bodies, body)
		batch = append(batch, stage(t, m, envelope(folders[i%3], uint32(i+1)), bytes.NewReader(body)))
	}
	publish(t, m, batch...)
	for i, s := range batch {
		got, err := os.ReadFile(filepath.Join(root, receiptPath(s.Receipt())))
		if err != nil || !bytes.HasSuffix(got, bodies[i]) {
			t.Fatalf("message %d: %q, %v", i, got, err)
		}
		if err := s.Discard(); err != nil {
			t.Errorf("Discard after Publish = %v", err)
		}
	}
	for _, d := range []string{"tmp", ".Lists.go-nuts/tmp", ".Archive.2026/tmp"} {
		if ents, _ := os.ReadDir(filepath.Join(root, d)); len(ents) != 0 {
			t.Errorf("%s not empty after Publish: %d files", d, len(ents))
		}
	}
	// Discard after Publish must not remove the delivered file.
	if _, err := os.Stat(filepath.Join(root, receiptPath(batch[0].Receipt()))); err != nil {
		t.Errorf("delivered file gone after Discard: %v", err)
	}
	errs := m.Publish(context.Background(), batch[:1])
	if fail.KindOf(errs[0]) != fail.Internal {
		t.Errorf("second Publish = %v, want an internal error", errs[0])
	}
}

func TestPublishFailures(t *testing.T) {
	root := t.TempDir()
	m := newMaildir(t, root, Options{Folders: true})
	good := stage(t, m, envelope("INBOX", 1), strings.NewReader("a\n"))
	bad := stage(t, m, envelope("Gone", 2), strings.NewReader("b\n"))
	// new/ of the folder disappears: the rename fails for that message only.
	if err := os.Remove(filepath.Join(root, ".Gone", "new")); err != nil {
		t.Fatal(err)
	}
	other, _ := New(t.TempDir(), Options{})
	defer other.Close()
	foreign := stage(t, other, envelope("INBOX", 3), strings.NewReader("c\n"))
	defer foreign.Discard()
	errs := m.Publish(context.Background(), []fetch.Staged{good, bad, foreign})
	if errs[0] != nil || errs[1] == nil || errs[2] == nil {
		t.Fatalf("Publish = %v, want [nil, error, error]", errs)
	}
	if !fail.IsTemporary(errs[1]) || !errors.Is(errs[1], os.ErrNotExist) {
		t.Errorf("rename failure = %v (%v), want a temporary ENOENT", errs[1], fail.KindOf(errs[1]))
	}
	if ents, _ := os.ReadDir(filepath.Join(root, ".Gone", "tmp")); len(ents) != 0 {
		t.Errorf("failed message left in tmp/: %v", ents)
	}
	// A cancelled context fails the whole batch and cleans up.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := stage(t, m, envelope("INBOX", 4), strings.NewReader("d\n"))
	if errs := m.Publish(ctx, []fetch.Staged{s}); !fail.IsTemporary(errs[0]) {
		t.Errorf("Publish(cancelled) = %v", errs[0])
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "tmp")); len(ents) != 0 {
		t.Errorf("cancelled message left in tmp/: %v", ents)
	}
}

func TestDiscard(t *testing.T) {
	root := t.TempDir()
	m := newMaildir(t, root, Options{})
	s := stage(t, m, envelope("INBOX", 1), strings.NewReader("a\n"))
	if err := s.Discard(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "tmp")); len(ents) != 0 {
		t.Errorf("tmp/ not empty after Discard: %v", ents)
	}
	if err := s.Discard(); err != nil {
		t.Errorf("second Discard = %v", err)
	}
}

func TestStageAfterClose(t *testing.T) {
	m, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := m.Stage(context.Background(), envelope("INBOX", 1), strings.NewReader("")); !errors.Is(err, errClosed) {
		t.Errorf("Stage after Close = %v", err)
	}
}
