package testlib

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// recorder is a testing.TB that records failures and skips instead of acting on
// them, to test the helpers' own verdicts.
type recorder struct {
	testing.TB
	msgs          []string
	fatal, skip   bool
	errorReported bool
}

func (r *recorder) Helper() {}
func (r *recorder) Error(args ...any) {
	r.errorReported = true
	r.msgs = append(r.msgs, fmt.Sprint(args...))
}
func (r *recorder) Errorf(format string, args ...any) { r.Error(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
	r.skip = true
	runtime.Goexit()
}

// record runs f with a recorder on its own goroutine, so that Fatalf and Skipf can end
// it as they end a test.
func record(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestReadMaildir(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"tmp", "new", "cur"} {
		mkdir(t, filepath.Join(dir, sub), 0o700)
	}
	writeFile(t, filepath.Join(dir, "new"), "1.a.host", []byte("one"))
	writeFile(t, filepath.Join(dir, "cur"), "2.b.host:2,S", []byte("two\x00"))
	writeFile(t, filepath.Join(dir, "tmp"), "3.c.host", []byte("partial"))
	got := ReadMaildir(t, dir)
	if len(got) != 2 || got[0].Name != "cur/2.b.host:2,S" || string(got[1].Data) != "one" ||
		got[1].Mode.Perm() != 0o600 {
		t.Errorf("ReadMaildir = %+v", got)
	}
	if tmp := MaildirTmp(t, dir); len(tmp) != 1 || tmp[0] != "3.c.host" {
		t.Errorf("MaildirTmp = %q", tmp)
	}
	if r := record(t, func(tb testing.TB) { ReadMaildir(tb, t.TempDir()) }); !r.fatal {
		t.Error("ReadMaildir of an empty directory did not fail")
	}
}

func TestAssertSameMessages(t *testing.T) {
	a, b, c := []byte("Subject: a\n\nA\n"), []byte("Subject: b\n\nB\n"), []byte("Subject: c\n\nC\n")
	bent := []byte("Subject: b\n\nB!\n")
	tests := []struct {
		name      string
		got, want [][]byte
		report    []string // substrings of the failure; nil for success
	}{
		{"same order", [][]byte{a, b}, [][]byte{a, b}, nil},
		{"other order", [][]byte{b, a}, [][]byte{a, b}, nil},
		{"empty", nil, nil, nil},
		{"duplicate", [][]byte{a, a, b}, [][]byte{a, b}, []string{"1 extra or duplicated", "Subject: a"}},
		{"lost", [][]byte{a}, [][]byte{a, b}, []string{"1 missing", "Subject: b"}},
		{"changed", [][]byte{a, bent}, [][]byte{a, b}, []string{"nearest extra: 15 bytes, want 14; first difference at offset 13"}},
		{"count", [][]byte{a, a}, [][]byte{a, c}, []string{"got 2 messages, want 2: 1 missing, 1 extra"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := record(t, func(tb testing.TB) { AssertSameMessages(tb, tt.got, tt.want) })
			report := strings.Join(r.msgs, "\n")
			if tt.report == nil && r.errorReported {
				t.Fatalf("failed: %s", report)
			}
			for _, s := range tt.report {
				if !strings.Contains(report, s) {
					t.Errorf("report %q lacks %q", report, s)
				}
			}
		})
	}
}

func TestDiff(t *testing.T) {
	if d := Diff([]byte("same"), []byte("same")); d != "" {
		t.Errorf("Diff of equal = %q", d)
	}
	want := `3 bytes, want 4; first difference at offset 2: got "ab\x00", want "abc\n"`
	if d := Diff([]byte("ab\x00"), []byte("abc\n")); d != want {
		t.Errorf("Diff = %s, want %s", d, want)
	}
}

func TestRequireServer(t *testing.T) {
	if p := RequireServer(t, "sh"); p == "" {
		t.Fatal("RequireServer(sh) found nothing")
	}
	const absent = "testlib-no-such-server"
	t.Setenv(RequireEnv, "")
	if r := record(t, func(tb testing.TB) { RequireServer(tb, absent) }); !r.skip || r.fatal {
		t.Errorf("missing binary without %s: skip=%v fatal=%v, want a skip", RequireEnv, r.skip, r.fatal)
	}
	t.Setenv(RequireEnv, "1")
	r := record(t, func(tb testing.TB) { RequireServer(tb, absent) })
	if !r.fatal || !strings.Contains(strings.Join(r.msgs, ""), absent) {
		t.Errorf("missing binary with %s=1: fatal=%v %q, want a failure naming it", RequireEnv, r.fatal, r.msgs)
	}
}

func TestLoopbackPort(t *testing.T) {
	ports := loopbackPorts(t, 5)
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] || p <= 0 {
			t.Errorf("port %d repeated or invalid in %v", p, ports)
		}
		seen[p] = true
	}
	if p := LoopbackPort(t); p <= 0 {
		t.Errorf("LoopbackPort = %d", p)
	}
}

func TestGroupRunning(t *testing.T) {
	if groupRunning(1 << 30) {
		t.Error("groupRunning reports a group that cannot exist")
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil && !groupRunning(syscall.Getpgrp()) {
		t.Error("groupRunning does not see the test's own process group")
	}
}
