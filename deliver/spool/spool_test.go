package spool

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

func mustOpen(t *testing.T) *Dir {
	t.Helper()
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	return d
}

func TestWriteCopiesHeaderAndBody(t *testing.T) {
	d := mustOpen(t)
	body := "Subject: x\n\n..\n.\nend\x00\xff no newline"
	m, err := d.Write(context.Background(), []byte("Received: by us\n"), strings.NewReader(body))
	if err != nil {
		t.Fatalf("Write = %v", err)
	}
	f, err := m.Open()
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if want := "Received: by us\n" + body; string(got) != want {
		t.Errorf("spool file = %q, want %q", got, want)
	}
	fi, err := os.Stat(filepath.Join(d.Path(), m.Receipt()))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("spool file mode = %v (%v), want 0600", fi.Mode(), err)
	}
	s := m.Stats()
	if s.Size != int64(len(got)) || s.Lines != 5 || s.LongestLine != 16 || !s.EightBit || !s.NUL {
		t.Errorf("Stats = %+v", s)
	}
	if err := m.Discard(); err != nil {
		t.Fatalf("Discard = %v", err)
	}
	if err := m.Discard(); err != nil {
		t.Errorf("second Discard = %v, want nil", err)
	}
	assertEmpty(t, d)
}

func TestStatsAcrossChunks(t *testing.T) {
	var s Stats
	long := strings.Repeat("x", 100_000)
	for _, p := range []string{"ab", "c\n", long[:50_000], long[50_000:], "\n", "\n", "tail"} {
		s.add([]byte(p))
	}
	if s.Lines != 3 || s.LongestLine != 100_000 || s.EightBit || s.NUL {
		t.Errorf("Stats = %+v", s)
	}
}

func TestWriteFailureLeavesNothing(t *testing.T) {
	d := mustOpen(t)
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("partial"), iotestErr{boom})
	if _, err := d.Write(context.Background(), nil, r); !errors.Is(err, boom) {
		t.Errorf("Write = %v, want %v", err, boom)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Write(ctx, nil, strings.NewReader("x")); !fail.IsTemporary(err) {
		t.Errorf("Write with cancelled ctx = %v, want temporary", err)
	}
	assertEmpty(t, d)
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestOpenRefusesReplacedFile(t *testing.T) {
	d := mustOpen(t)
	m, err := d.Write(context.Background(), nil, strings.NewReader("mine"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Discard()
	p := filepath.Join(d.Path(), m.Receipt())
	// The impostor is written while the original still exists, so it gets another inode.
	os.WriteFile(p+".new", []byte("four"), 0o600)
	os.Rename(p+".new", p)
	if _, err := m.Open(); fail.KindOf(err) != fail.Security {
		t.Errorf("Open of a replaced file = %v, want a security error", err)
	}
	other := filepath.Join(t.TempDir(), "other")
	os.WriteFile(other, []byte("theirs"), 0o600)
	os.Remove(p)
	if err := os.Symlink(other, p); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open(); err == nil {
		t.Errorf("Open of a symlink succeeded")
	}
}

func TestOpenChecksDirectory(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	if _, err := Open(dir); fail.KindOf(err) != fail.Insecure {
		t.Errorf("Open(world-writable) = %v, want insecure", err)
	}
	os.Chmod(dir, 0o777|os.ModeSticky)
	if _, err := Open(dir); err != nil {
		t.Errorf("Open(sticky world-writable) = %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing")); fail.KindOf(err) != fail.Config {
		t.Errorf("Open(missing) = %v, want config error", err)
	}
	if d, err := Open(""); err != nil || d.Path() != os.TempDir() {
		t.Errorf("Open(\"\") = %v, %v", d, err)
	}
}

func TestSweepAndForget(t *testing.T) {
	d := mustOpen(t)
	old, _ := d.Write(context.Background(), nil, strings.NewReader("old"))
	fresh, _ := d.Write(context.Background(), nil, strings.NewReader("fresh"))
	other := filepath.Join(d.Path(), "not-ours")
	os.WriteFile(other, nil, 0o600)
	past := time.Now().Add(-2 * StaleAfter)
	for _, p := range []string{filepath.Join(d.Path(), old.Receipt()), other} {
		os.Chtimes(p, past, past)
	}
	if _, err := Open(d.Path()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d.Path(), old.Receipt())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale spool file survived Open: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("Open removed a file that is not a spool file: %v", err)
	}
	for _, r := range []string{"../not-ours", "not-ours", "/etc/passwd", prefix + strings.Repeat("A", idLen) + suffix} {
		if err := d.Forget(r); err != nil {
			t.Errorf("Forget(%q) = %v", r, err)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("Forget removed a file that is not a spool file: %v", err)
	}
	if err := d.Forget(fresh.Receipt()); err != nil {
		t.Errorf("Forget = %v", err)
	}
	if err := d.Forget(fresh.Receipt()); err != nil {
		t.Errorf("second Forget = %v", err)
	}
	os.Remove(other)
	assertEmpty(t, d)
}

func TestWriteStreamsLargeMessage(t *testing.T) {
	d := mustOpen(t)
	const size = 20 << 20
	m, err := d.Write(context.Background(), nil, io.LimitReader(zeroLines{}, size))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Discard()
	if s := m.Stats(); s.Size != size || s.Lines != size/64 {
		t.Errorf("Stats = %+v", s)
	}
}

// zeroLines yields lines of 63 'a' and an LF.
type zeroLines struct{}

func (zeroLines) Read(p []byte) (int, error) {
	line := bytes.Repeat([]byte("a"), 63)
	line = append(line, '\n')
	for i := range p {
		p[i] = line[i%64]
	}
	return len(p), nil
}

func assertEmpty(t *testing.T, d *Dir) {
	t.Helper()
	entries, _ := os.ReadDir(d.Path())
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestPublish(t *testing.T) {
	d := mustOpen(t)
	var batch []fetch.Staged
	for _, body := range []string{"one", "two", "three"} {
		m, err := d.Write(context.Background(), nil, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, m)
	}
	batch = append(batch, foreign{})
	refused := errors.New("refused")
	var seen []string
	errs := Publish(context.Background(), batch, func(m *Message) error {
		f, err := m.Open()
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(f)
		f.Close()
		seen = append(seen, string(b))
		if string(b) == "two" {
			return refused
		}
		return nil
	})
	if strings.Join(seen, ",") != "one,two,three" || errs[0] != nil || errs[1] != refused || errs[2] != nil ||
		fail.KindOf(errs[3]) != fail.Internal {
		t.Errorf("Publish saw %q and returned %v", seen, errs)
	}
	assertEmpty(t, d)

	m, _ := d.Write(context.Background(), nil, strings.NewReader("late"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs = Publish(ctx, []fetch.Staged{m}, func(*Message) error { t.Error("delivered after cancel"); return nil })
	if !fail.IsTemporary(errs[0]) {
		t.Errorf("Publish after cancel = %v, want temporary", errs)
	}
	assertEmpty(t, d)
}

type foreign struct{}

func (foreign) Receipt() string { return "x" }
func (foreign) Discard() error  { return nil }
