package mbox

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

func checkAll(t *testing.T, m *Mbox, want map[string]fetch.Outcome) {
	t.Helper()
	for r, w := range want {
		if o, err := m.Check(r); err != nil || o != w {
			t.Errorf("Check(%s) = %v, %v; want %v", r, o, err, w)
		}
	}
}

// crashMidPublish does what Publish does up to the batch record, then appends only
// what appendFn writes and "dies": locks released, no done mark, spool files left.
func crashMidPublish(t *testing.T, m *Mbox, items []*staged, appendFn func(f *os.File, prefix string)) {
	t.Helper()
	l, err := m.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := l.f.Stat()
	prefix, _ := blankLinePrefix(l.f, fi.Size())
	r := newRecord(m.path, fi, prefix, items)
	if err := safeio.WriteFile(m.spool.Join(r.name), r.encode(), 0o600); err != nil {
		t.Fatal(err)
	}
	appendFn(l.f, prefix)
	l.unlock()
	for _, st := range items {
		st.f.Close()
	}
}

func copyOf(st *staged, n int64) io.Reader { return io.NewSectionReader(st.f, 0, n) }

func TestCrashRecovery(t *testing.T) {
	const foreign = "From other Thu Jan  1 00:00:00 2026\nSubject: foreign\n\nx\n\n"
	tests := []struct {
		name      string
		write     func(f *os.File, prefix string, s []*staged)
		want      []fetch.Outcome
		wantMsgs  int  // messages in the mbox afterwards, "first" included
		truncated bool // the mbox must end right after the delivered messages
	}{
		{"record only", func(f *os.File, p string, s []*staged) {},
			[]fetch.Outcome{fetch.NotDelivered, fetch.NotDelivered, fetch.NotDelivered}, 1, true},
		{"torn second message", func(f *os.File, p string, s []*staged) {
			f.WriteString(p)
			io.Copy(f, copyOf(s[0], s[0].size))
			io.Copy(f, copyOf(s[1], s[1].size/2))
		}, []fetch.Outcome{fetch.Delivered, fetch.NotDelivered, fetch.NotDelivered}, 2, true},
		{"torn first message", func(f *os.File, p string, s []*staged) {
			f.WriteString(p)
			io.Copy(f, copyOf(s[0], 7))
		}, []fetch.Outcome{fetch.NotDelivered, fetch.NotDelivered, fetch.NotDelivered}, 1, true},
		{"all appended, not marked", func(f *os.File, p string, s []*staged) {
			f.WriteString(p)
			for _, st := range s {
				io.Copy(f, copyOf(st, st.size))
			}
		}, []fetch.Outcome{fetch.Delivered, fetch.Delivered, fetch.Delivered}, 4, true},
		{"torn, then another program appended", func(f *os.File, p string, s []*staged) {
			f.WriteString(p)
			io.Copy(f, copyOf(s[0], s[0].size))
			io.Copy(f, copyOf(s[1], 20))
			f.WriteString("\n\n" + foreign)
		}, []fetch.Outcome{fetch.Delivered, fetch.NotDelivered, fetch.NotDelivered}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			m := fx.open(t, Options{Trace: trace})
			publish(t, m, stage(t, m, strings.NewReader("Subject: first\n\nbody\n")))
			var items []*staged
			for _, b := range []string{"Subject: a\n\nFrom a\n", "Subject: b\n\n" + strings.Repeat("b", 5000), "Subject: c\n\nc\n"} {
				items = append(items, stage(t, m, strings.NewReader(b)).(*staged))
			}
			first, _ := os.ReadFile(fx.path)
			crashMidPublish(t, m, items, func(f *os.File, p string) { tt.write(f, p, items) })

			m2 := fx.open(t, Options{Trace: trace}) // the next run
			m3 := fx.open(t, Options{Trace: trace}) // and the one after: same answers
			for _, mm := range []*Mbox{m2, m3} {
				for i, st := range items {
					checkAll(t, mm, map[string]fetch.Outcome{st.name: tt.want[i]})
				}
			}
			data, _ := os.ReadFile(fx.path)
			if tt.truncated {
				if n := len(readMbox(t, fx.path)); n != tt.wantMsgs {
					t.Errorf("mbox holds %d messages, want %d", n, tt.wantMsgs)
				}
				end := len(first)
				for i, st := range items {
					if tt.want[i] == fetch.Delivered {
						end += int(st.size)
					}
				}
				if len(data) != end {
					t.Errorf("mbox is %d bytes after settling, want %d (torn tail cut)", len(data), end)
				}
				if !strings.HasSuffix(string(data), "\n\n") {
					t.Errorf("mbox does not end with a blank line: %q", data[max(0, len(data)-40):])
				}
			} else if !strings.HasSuffix(string(data), foreign) {
				t.Errorf("another program's message was cut: %q", data[max(0, len(data)-80):])
			}
			for _, st := range items {
				if _, err := os.Stat(filepath.Join(fx.spool, st.name)); !os.IsNotExist(err) {
					t.Errorf("spool file %s left after settling", st.name)
				}
			}
		})
	}
}

func TestCrashRecoveryMboxReplaced(t *testing.T) {
	fx := newFixture(t)
	m := fx.open(t, Options{})
	st := stage(t, m, strings.NewReader("x\n")).(*staged)
	crashMidPublish(t, m, []*staged{st}, func(f *os.File, p string) { io.Copy(f, copyOf(st, st.size)) })
	os.Rename(fx.path, fx.path+".old")
	os.WriteFile(fx.path, nil, 0o600)
	checkAll(t, fx.open(t, Options{}), map[string]fetch.Outcome{st.name: fetch.Unknown})
}

func TestCheckNeverPublished(t *testing.T) {
	fx := newFixture(t)
	m := fx.open(t, Options{})
	s := stage(t, m, strings.NewReader("x\n"))
	s.(*staged).f.Close() // the run dies here
	checkAll(t, fx.open(t, Options{}), map[string]fetch.Outcome{s.Receipt(): fetch.NotDelivered})
	if _, err := os.Stat(filepath.Join(fx.spool, s.Receipt())); !os.IsNotExist(err) {
		t.Errorf("spool file left after Check: %v", err)
	}
	checkAll(t, m, map[string]fetch.Outcome{"1000.P1Q1Rabcdef.msg": fetch.Unknown}) // expired
}

// A failure while appending truncates the mbox back, byte for byte.
func TestPublishFailureTruncates(t *testing.T) {
	fx := newFixture(t)
	m := fx.open(t, Options{Trace: trace})
	publish(t, m, stage(t, m, strings.NewReader("Subject: first\n\nno final newline")))
	before, _ := os.ReadFile(fx.path)
	a := stage(t, m, strings.NewReader("Subject: a\n\na\n"))
	b := stage(t, m, strings.NewReader("Subject: b\n\n"+strings.Repeat("b\n", 50000)))
	b.(*staged).f.Close() // reading it back fails after a was appended
	errs := m.Publish(context.Background(), []fetch.Staged{a, b})
	for i, err := range errs {
		if !fail.IsTemporary(err) {
			t.Errorf("Publish[%d] = %v, want a temporary error", i, err)
		}
	}
	after, _ := os.ReadFile(fx.path)
	if string(after) != string(before) {
		t.Errorf("mbox changed by a failed Publish: %d bytes, was %d", len(after), len(before))
	}
	want := map[string]fetch.Outcome{a.Receipt(): fetch.NotDelivered, b.Receipt(): fetch.NotDelivered}
	checkAll(t, m, want)
	checkAll(t, fx.open(t, Options{}), want)
}
