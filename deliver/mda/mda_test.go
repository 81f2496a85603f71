package mda

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/deliver/spool/spooltest"
	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// newMDA returns an MDA with a private spool directory that the test checks is left
// empty.
func newMDA(t *testing.T, argv []string, opts Options) *MDA {
	t.Helper()
	if opts.SpoolDir == "" {
		opts.SpoolDir = t.TempDir()
		t.Cleanup(func() { assertEmptyDir(t, opts.SpoolDir) })
	}
	opts.Trace = spooltest.Trace
	m, err := New(argv, opts)
	if err != nil {
		t.Fatalf("New(%q) = %v", argv, err)
	}
	return m
}

// deliver stages and publishes one message.
func deliverOne(t *testing.T, m *MDA, body []byte) error {
	t.Helper()
	st, err := m.Stage(context.Background(), spooltest.Envelope(), bytes.NewReader(body))
	if err != nil {
		t.Fatalf("Stage = %v", err)
	}
	return m.Publish(context.Background(), []fetch.Staged{st})[0]
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("left in %s: %s", dir, e.Name())
	}
}

func TestStdinIsTheMessage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	m := newMDA(t, []string{"/bin/sh", "-c", `cat > "$0"`, out}, Options{})
	for _, msg := range spooltest.Messages(!testing.Short()) {
		if err := deliverOne(t, m, msg.Body); err != nil {
			t.Errorf("%s: Publish = %v", msg.Name, err)
			continue
		}
		got, _ := os.ReadFile(out)
		if want := spooltest.Staged(msg.Body); !bytes.Equal(got, want) {
			t.Errorf("%s: MDA read %d bytes, want %d (%.60q...)", msg.Name, len(got), len(want), got)
		}
	}
}

func TestProcmail(t *testing.T) {
	procmail, err := exec.LookPath("procmail")
	if err != nil {
		t.Skip("procmail not installed")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	maildir := filepath.Join(home, "Maildir")
	rc := filepath.Join(home, "procmailrc")
	os.WriteFile(rc, []byte("MAILDIR="+home+"\nDEFAULT="+maildir+"/\n"), 0o600)
	m := newMDA(t, []string{procmail, "-t", "-f", "%F", "-m", rc}, Options{DeliverTo: "user@example.org"})
	for _, msg := range spooltest.Messages(!testing.Short()) {
		if err := deliverOne(t, m, msg.Body); err != nil {
			t.Errorf("%s: Publish = %v", msg.Name, err)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
		if len(files) != 1 {
			t.Fatalf("%s: %d files in new/, want 1", msg.Name, len(files))
		}
		got, _ := os.ReadFile(files[0])
		if want := spooltest.Staged(msg.Body); !bytes.Equal(got, want) {
			t.Errorf("%s: maildir file has %d bytes, want %d (%.60q...)", msg.Name, len(got), len(want), got)
		}
		os.Remove(files[0])
	}
}

// TestSenderNeverInjects runs a program that records its arguments; the hostile senders
// must each end up as exactly the one safe argument the template says.
func TestSenderNeverInjects(t *testing.T) {
	dir := t.TempDir()
	args := filepath.Join(dir, "args")
	pwned := filepath.Join(dir, "pwned")
	script := `printf '%%s\0' "$@" > "$0"; cat > /dev/null`
	m := newMDA(t, []string{"/bin/sh", "-c", script, args, "-f", "%F", "x%Fy", "%T", "%%F"},
		Options{DeliverTo: "user@example.org"})
	senders := map[string]string{
		"Return-Path: <-oQ/tmp/x@evil>":           "_oQ_tmp_x@evil",
		"Return-Path: <$(touch " + pwned + ")@x>": "__touch_" + strings.ReplaceAll(pwned, "/", "_") + "_@x",
		"Return-Path: <`touch " + pwned + "`@x>":  "_touch_" + strings.ReplaceAll(pwned, "/", "_") + "_@x",
		"Return-Path: <a b -c@x>":                 "a_b_-c@x",
		"Return-Path: <\"'\"@x>":                  "_@x",
		"Return-Path: <a\n -oQ/x@y>":              "a_-oQ_x@y",
		"Return-Path: <;rm -rf ~;@x>":             "_rm_-rf___@x",
		"From: <-x@y>":                            "_x@y",
		"Return-Path: <>":                         NullSender,
	}
	for hdr, want := range senders {
		if err := deliverOne(t, m, []byte(hdr+"\nSubject: x\n\nbody\n")); err != nil {
			t.Fatalf("%q: Publish = %v", hdr, err)
		}
		raw, _ := os.ReadFile(args)
		got := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
		if w := []string{"-f", want, "x" + want + "y", "user@example.org", "%F"}; !slices.Equal(got, w) {
			t.Errorf("%q: arguments %q, want %q", hdr, got, w)
		}
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Errorf("a sender ran a command")
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		script string
		kind   fail.Kind
		text   []string
	}{
		{"cat >/dev/null; exit 0", -1, nil},
		{"echo 'mailbox locked' >&2; exit 75", fail.Temporary, []string{"exit status 75", "mailbox locked"}},
		{"cat >/dev/null; echo 'quota exceeded' >&2; exit 1", fail.Delivery, []string{"exit status 1", "quota exceeded"}},
		{"echo 'no such user'; exit 67", fail.Delivery, []string{"exit status 67, EX_NOUSER", "no such user"}},
		{"exit 69", fail.Delivery, []string{"EX_UNAVAILABLE"}},
		{"exit 73", fail.Delivery, []string{"EX_CANTCREAT"}},
		{"kill -9 $$", fail.Delivery, []string{"killed by signal"}},
		{"head -c 100000 /dev/zero | tr '\\0' x >&2; echo; echo LAST >&2; exit 1", fail.Delivery, []string{"...xxx", "| LAST"}},
	}
	for _, tt := range tests {
		m := newMDA(t, []string{"/bin/sh", "-c", tt.script}, Options{})
		err := deliverOne(t, m, []byte("Subject: x\n\nbody\n"))
		if tt.kind == -1 {
			if err != nil {
				t.Errorf("%q: Publish = %v, want nil", tt.script, err)
			}
			continue
		}
		if fail.KindOf(err) != tt.kind {
			t.Errorf("%q: Publish = %v (%v), want %v", tt.script, err, fail.KindOf(err), tt.kind)
			continue
		}
		for _, s := range tt.text {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%q: error %q does not mention %q", tt.script, err, s)
			}
		}
		if len(err.Error()) > 5000 {
			t.Errorf("%q: error is %d bytes long", tt.script, len(err.Error()))
		}
	}
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	m := newMDA(t, []string{"/bin/sh", "-c", `sleep 300 & echo $! > "$0"; wait`, pidFile},
		Options{Timeout: 3 * time.Second}) // time enough for sh to write the pid
	start := time.Now()
	err := deliverOne(t, m, []byte("Subject: x\n\n"))
	if !fail.IsTemporary(err) || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Publish = %v, want a temporary timeout error", err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("Publish took %v", d)
	}
	raw, _ := os.ReadFile(pidFile)
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("pid file: %q", raw)
	}
	for deadline := time.Now().Add(30 * time.Second); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the MDA's child %d survived the timeout", pid)
		}
	}
}

// alive reports whether pid runs (a zombie waiting for init counts as dead).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func TestBackgroundChildKeepingOutputOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for waitDelay")
	}
	// The MDA exits 0 at once but leaves a child holding stdout: still delivered.
	pidFile := filepath.Join(t.TempDir(), "pid")
	m := newMDA(t, []string{"/bin/sh", "-c", `sleep 60 & echo $! > "$0"; cat >/dev/null`, pidFile}, Options{})
	if err := deliverOne(t, m, []byte("Subject: x\n\n")); err != nil {
		t.Errorf("Publish = %v, want nil", err)
	}
	raw, _ := os.ReadFile(pidFile)
	if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func TestPublishBatch(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	script := `grep -q FAIL && exit 1; echo ok >> "$0"`
	m := newMDA(t, []string{"/bin/sh", "-c", script, log}, Options{})
	var batch []fetch.Staged
	for _, body := range []string{"Subject: 1\n\n", "Subject: FAIL\n\n", "Subject: 3\n\n"} {
		st, err := m.Stage(context.Background(), spooltest.Envelope(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, st)
	}
	errs := m.Publish(context.Background(), batch)
	if len(errs) != 3 || errs[0] != nil || fail.KindOf(errs[1]) != fail.Delivery || errs[2] != nil {
		t.Errorf("Publish = %v", errs)
	}
	if raw, _ := os.ReadFile(log); string(raw) != "ok\nok\n" {
		t.Errorf("MDA ran %q", raw)
	}
}

func TestPublishCancelled(t *testing.T) {
	m := newMDA(t, []string{"/bin/sh", "-c", "cat >/dev/null"}, Options{})
	st, _ := m.Stage(context.Background(), spooltest.Envelope(), strings.NewReader("x"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if errs := m.Publish(ctx, []fetch.Staged{st}); !fail.IsTemporary(errs[0]) {
		t.Errorf("Publish = %v, want temporary", errs)
	}
	// Cancelled while the MDA runs: it is killed and the error says so.
	started := filepath.Join(t.TempDir(), "started")
	m2 := newMDA(t, []string{"/bin/sh", "-c", `: > "$0"; sleep 300`, started}, Options{})
	st, _ = m2.Stage(context.Background(), spooltest.Envelope(), strings.NewReader("x"))
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(started); err == nil {
				cancel()
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	if errs := m2.Publish(ctx, []fetch.Staged{st}); !fail.IsTemporary(errs[0]) ||
		!strings.Contains(errs[0].Error(), "interrupted") {
		t.Errorf("Publish = %v, want temporary interruption", errs)
	}
}

func TestStageDiscardAndCheck(t *testing.T) {
	spoolDir := t.TempDir()
	m := newMDA(t, []string{"/bin/true"}, Options{SpoolDir: spoolDir})
	st, err := m.Stage(context.Background(), spooltest.Envelope(), strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Discard(); err != nil {
		t.Errorf("Discard = %v", err)
	}
	st, _ = m.Stage(context.Background(), spooltest.Envelope(), strings.NewReader("x"))
	// A new run (after a crash) asks about the receipt.
	m2 := newMDA(t, []string{"/bin/true"}, Options{SpoolDir: spoolDir})
	if out, err := m2.Check(st.Receipt()); out != fetch.Unknown || err != nil {
		t.Errorf("Check = %v, %v; want Unknown", out, err)
	}
	if out, err := m2.Check("../../etc/passwd"); out != fetch.Unknown || err != nil {
		t.Errorf("Check(bad receipt) = %v, %v", out, err)
	}
	assertEmptyDir(t, spoolDir)
}

func TestEnvironmentPassesThrough(t *testing.T) {
	t.Setenv("FETCHSECURE_MDA_TEST", "passed")
	out := filepath.Join(t.TempDir(), "env")
	m := newMDA(t, []string{"/bin/sh", "-c", `printf %%s "$FETCHSECURE_MDA_TEST" > "$0"`, out}, Options{})
	if err := deliverOne(t, m, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(out); string(raw) != "passed" {
		t.Errorf("MDA saw %q", raw)
	}
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		argv []string
		opts Options
		kind fail.Kind
	}{
		{[]string{"/nonexistent/mda"}, Options{}, fail.Config},
		{[]string{"no-such-mda-anywhere"}, Options{}, fail.Config},
		{[]string{"/bin/cat", "%T"}, Options{}, fail.Config},
		{[]string{"/bin/cat", "%T"}, Options{DeliverTo: "-oQ/tmp"}, fail.Config},
		{[]string{"/bin/cat"}, Options{DeliverTo: "a\nb"}, fail.Config},
		{[]string{"/bin/cat", "%Q"}, Options{}, fail.Config},
		{[]string{"/bin/cat"}, Options{SpoolDir: "/nonexistent/spool"}, fail.Config},
	}
	for _, tt := range tests {
		if _, err := New(tt.argv, tt.opts); fail.KindOf(err) != tt.kind {
			t.Errorf("New(%q, %+v) = %v, want %v", tt.argv, tt.opts, err, tt.kind)
		}
	}
}

func TestPublishForeignStaged(t *testing.T) {
	m := newMDA(t, []string{"/bin/true"}, Options{})
	if errs := m.Publish(context.Background(), []fetch.Staged{foreign{}}); fail.KindOf(errs[0]) != fail.Internal {
		t.Errorf("Publish(foreign) = %v", errs)
	}
}

type foreign struct{}

func (foreign) Receipt() string { return "x" }
func (foreign) Discard() error  { return errors.New("no") }

func TestTail(t *testing.T) {
	tl := &tail{max: 8}
	tl.Write([]byte("abc"))
	tl.Write([]byte("def\n"))
	if tl.String() != "abcdef" {
		t.Errorf("tail = %q", tl.String())
	}
	tl.Write([]byte("gh\x1b[31mij\n"))
	if got := tl.String(); got != "...?[31mij" {
		t.Errorf("tail = %q", got)
	}
	tl.Write([]byte(strings.Repeat("z", 100) + "\xff"))
	if got := tl.String(); got != "...zzzzzzz?" {
		t.Errorf("tail = %q", got)
	}
}
