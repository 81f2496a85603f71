package state

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestIMAPLifecycle(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if _, changed, err := s.SetValidity("INBOX", 7); err != nil || changed {
		t.Fatalf("first SetValidity: changed=%v err=%v", changed, err)
	}
	must(t, s.Intend("INBOX", []Intent{{Key: Key{UID: 3}, Receipt: "a"}, {Key: Key{UID: 5}, Receipt: "b"}, {Key: Key{UID: 9}, Receipt: "c"}}))
	must(t, s.Settle("INBOX", Settlement{Done: []Key{{UID: 3}, {UID: 9}}, Retry: []Key{{UID: 5}}, Since: 9, Delete: true}))
	must(t, s.Close())

	s = open(t, dir)
	f := s.Folder("INBOX")
	if f.Since() != 9 || !slices.Equal(f.Retry(), []uint32{5}) || len(f.Intents()) != 0 {
		t.Fatalf("after reopen: since=%d retry=%v intents=%v", f.Since(), f.Retry(), f.Intents())
	}
	if got := f.PendingDeletes(); !slices.Equal(got, []Key{{UID: 3}, {UID: 9}}) {
		t.Fatalf("pending deletes = %v", got)
	}
	must(t, s.Deleted("INBOX", []Key{{UID: 3}, {UID: 9}}))
	if len(f.PendingDeletes()) != 0 {
		t.Fatalf("pending deletes after Deleted: %v", f.PendingDeletes())
	}
	old, changed, err := s.SetValidity("INBOX", 8)
	if err != nil || !changed || old != 7 {
		t.Fatalf("SetValidity change: old=%d changed=%v err=%v", old, changed, err)
	}
	if f := s.Folder("INBOX"); f.Since() != 0 || len(f.Retry()) != 0 {
		t.Fatalf("validity change kept old UIDs: since=%d retry=%v", f.Since(), f.Retry())
	}
	must(t, s.Close())
}

func TestPOP3HandledAndForget(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	must(t, s.Intend("INBOX", []Intent{{Key: Key{UIDL: "a1"}, Receipt: "r1"}, {Key: Key{UIDL: "b2"}, Receipt: "r2"}}))
	must(t, s.Settle("INBOX", Settlement{Done: []Key{{UIDL: "a1"}}, Retry: []Key{{UIDL: "b2"}}}))
	f := s.Folder("INBOX")
	if !f.HandledUIDL("a1") || f.HandledUIDL("b2") || len(f.Intents()) != 0 {
		t.Fatalf("handled a1=%v b2=%v intents=%v", f.HandledUIDL("a1"), f.HandledUIDL("b2"), f.Intents())
	}
	must(t, s.Forget("INBOX", []Key{{UIDL: "a1"}}))
	if f.HandledUIDL("a1") {
		t.Fatal("a1 still handled after Forget")
	}
	must(t, s.Close())
}

func TestIntentSurvivesCrash(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	must(t, s.Intend("INBOX", []Intent{{Key: Key{UID: 1}, Receipt: "file-1"}}))
	s.journal.Close() // crash: no Close, no compaction
	s = open(t, dir)
	if got := s.Folder("INBOX").Intents(); !slices.Equal(got, []Intent{{Key: Key{UID: 1}, Receipt: "file-1"}}) {
		t.Fatalf("intents after crash = %v", got)
	}
}

func TestTornTailIsCutOff(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	must(t, s.Settle("INBOX", Settlement{Done: []Key{{UID: 1}}, Since: 1}))
	s.journal.Close()
	j := filepath.Join(dir, "journal.0")
	appendFile(t, j, `0000beef {"op":"settle","f":"INBOX","u":[2],"s":`) // crash mid-write
	s = open(t, dir)
	if got := s.Folder("INBOX").Since(); got != 1 {
		t.Fatalf("since = %d, want 1", got)
	}
	must(t, s.Settle("INBOX", Settlement{Done: []Key{{UID: 2}}, Since: 2}))
	must(t, s.Close())
	s = open(t, dir)
	if got := s.Folder("INBOX").Since(); got != 2 {
		t.Fatalf("since after repair = %d, want 2", got)
	}
	s.Close()
}

func TestDamageInTheMiddleIsAnError(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	must(t, s.Settle("INBOX", Settlement{Done: []Key{{UID: 1}}, Since: 1}))
	s.journal.Close()
	j := filepath.Join(dir, "journal.0")
	b, _ := os.ReadFile(j)
	os.WriteFile(j, append([]byte("garbage line\n"), b...), 0o600)
	if _, err := Open(dir); err == nil || fail.HintOf(err) == "" {
		t.Fatalf("Open of a damaged journal: err=%v, want an error with a hint", err)
	}
}

func TestCompactionKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	for i := uint32(1); i <= 3000; i++ {
		must(t, s.Intend("INBOX", []Intent{{Key: Key{UID: i}, Receipt: "r"}}))
		must(t, s.Settle("INBOX", Settlement{Done: []Key{{UID: i}}, Since: i, Delete: i%2 == 0, IDs: []string{MessageID(string(rune(i)))}}))
	}
	must(t, s.Intend("POP", []Intent{{Key: Key{UIDL: "x"}, Receipt: "rx"}}))
	must(t, s.Close())
	if _, err := os.Stat(filepath.Join(dir, "snapshot")); err != nil {
		t.Fatalf("no snapshot after a large journal: %v", err)
	}
	s = open(t, dir)
	f := s.Folder("INBOX")
	if f.Since() != 3000 || len(f.PendingDeletes()) != 1500 || !s.SeenID(MessageID(string(rune(7)))) {
		t.Fatalf("after compaction: since=%d pending=%d", f.Since(), len(f.PendingDeletes()))
	}
	if got := s.Folder("POP").Intents(); len(got) != 1 || got[0].Receipt != "rx" {
		t.Fatalf("POP intents after compaction = %v", got)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == "journal.0" {
			t.Fatal("old journal generation left behind")
		}
	}
	s.Close()
}

func TestReplayIsIdempotent(t *testing.T) {
	// A crash between writing the snapshot and removing the old journal must not
	// change the state: applying any record twice is harmless.
	f := newFolder()
	recs := []*record{
		{Op: opValidity, Validity: 4},
		{Op: opIntent, UIDs: []uint32{1, 2}, Receipts: []string{"a", "b"}},
		{Op: opSettle, UIDs: []uint32{1}, RetryUIDs: []uint32{2}, Since: 2, Delete: true},
		{Op: opDeleted, UIDs: []uint32{1}},
	}
	for _, r := range recs {
		f.apply(r)
	}
	want := f.snapshot()
	for _, r := range recs {
		f.apply(r)
	}
	if got := f.snapshot(); !slices.Equal(got.Retry, want.Retry) || got.Since != want.Since ||
		len(got.PendingUIDs) != len(want.PendingUIDs) || len(got.Intents) != len(want.Intents) {
		t.Fatalf("replaying twice changed the folder: %+v, want %+v", got, want)
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks are per open file description, so a second Acquire in the same
	// process conflicts just like another process would.
	_, err = Acquire(dir)
	if fail.KindOf(err) != fail.Locked {
		t.Fatalf("second Acquire: %v, want a fail.Locked error", err)
	}
	if PID(dir) != os.Getpid() {
		t.Fatalf("PID = %d, want %d", PID(dir), os.Getpid())
	}
	must(t, l.Release())
	l, err = Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l.Release()
}

func TestAccountDirNames(t *testing.T) {
	for _, name := range []string{"work", "a.b-c_d@e"} {
		if got := filepath.Base(AccountDir("/s", name)); got != name {
			t.Errorf("AccountDir(%q) = %q", name, got)
		}
	}
	for _, name := range []string{"../x", ".hidden", "a/b", "Work mail", "", "ü"} {
		got := filepath.Base(AccountDir("/s", name))
		if got == name || got[0] == '.' {
			t.Errorf("AccountDir(%q) = %q: not hashed", name, got)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, s string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil && !errors.Is(err, os.ErrClosed) {
		t.Fatal(err)
	}
}

func TestRecoveredDeliveriesAboveSince(t *testing.T) {
	// After a crash between Intend and Settle, deliveries that did arrive are settled
	// without moving the high-water mark past messages never tried.
	s := open(t, t.TempDir())
	defer s.Close()
	must(t, s.Settle("INBOX", Settlement{Done: []Key{{UID: 10}}, Since: 10}))
	must(t, s.Settle("INBOX", Settlement{Done: []Key{{UID: 14}}}))
	f := s.Folder("INBOX")
	if !f.HandledUID(14) || f.HandledUID(12) || f.Since() != 10 {
		t.Fatalf("handled 14=%v 12=%v since=%d", f.HandledUID(14), f.HandledUID(12), f.Since())
	}
	must(t, s.Settle("INBOX", Settlement{Done: []Key{{UID: 12}}, Retry: []Key{{UID: 11}}, Since: 16}))
	if !f.HandledUID(14) || f.HandledUID(11) || !slices.Equal(f.Retry(), []uint32{11}) {
		t.Fatalf("after advancing: 14=%v 11=%v retry=%v", f.HandledUID(14), f.HandledUID(11), f.Retry())
	}
}

func TestVanishedUIDLs(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	must(t, s.Settle("INBOX", Settlement{Done: []Key{{UIDL: "a"}, {UIDL: "b"}}}))
	f := s.Folder("INBOX")
	f.TrackListing()
	f.HandledUIDL("b")
	f.HandledUIDL("c")
	if got := f.Vanished(); !slices.Equal(got, []Key{{UIDL: "a"}}) {
		t.Fatalf("Vanished = %v, want [a]", got)
	}
}

func TestIntentKeepsMessageIDs(t *testing.T) {
	// After a crash, a delivery found complete is settled with its Message-ID, so
	// dedupe = "message-id" knows it: the ID must survive the journal and compaction.
	dir := t.TempDir()
	s := open(t, dir)
	want := []Intent{{Key: Key{UID: 1}, Receipt: "a", ID: MessageID("<1@x>")}, {Key: Key{UID: 2}, Receipt: "b"}}
	must(t, s.Intend("INBOX", want))
	must(t, s.Intend("POP", []Intent{{Key: Key{UIDL: "u"}, Receipt: "c"}}))
	s.journal.Close() // crash
	s = open(t, dir)
	if got := s.Folder("INBOX").Intents(); !slices.Equal(got, want) {
		t.Fatalf("intents after replay = %v, want %v", got, want)
	}
	must(t, s.compact())
	must(t, s.Close())
	s = open(t, dir)
	defer s.Close()
	if got := s.Folder("INBOX").Intents(); !slices.Equal(got, want) {
		t.Fatalf("intents after compaction = %v, want %v", got, want)
	}
	if got := s.Folder("POP").Intents(); len(got) != 1 || got[0].ID != "" {
		t.Fatalf("POP intents = %v", got)
	}
}

func TestSettleAndIntend(t *testing.T) {
	// One write, one fsync, two records: after a crash the outcome of one delivery and
	// the intent of the next are both there.
	dir := t.TempDir()
	s := open(t, dir)
	must(t, s.Intend("INBOX", []Intent{{Key: Key{UID: 1}, Receipt: "a"}}))
	must(t, s.SettleAndIntend("INBOX", Settlement{Done: []Key{{UID: 1}}, Delete: true},
		[]Intent{{Key: Key{UID: 2}, Receipt: "b", ID: "id2"}}))
	s.journal.Close() // crash
	s = open(t, dir)
	defer s.Close()
	f := s.Folder("INBOX")
	want := []Intent{{Key: Key{UID: 2}, Receipt: "b", ID: "id2"}}
	if !f.HandledUID(1) || !slices.Equal(f.PendingDeletes(), []Key{{UID: 1}}) || !slices.Equal(f.Intents(), want) {
		t.Fatalf("handled 1=%v pending=%v intents=%v", f.HandledUID(1), f.PendingDeletes(), f.Intents())
	}
}

// TestLockOfAnExitedProcess: a lock whose recorded holder has exited is still held
// for a moment by a child that process was starting (fork shares the lock file until
// exec). Acquire waits for it, briefly; a lock that stays held is reported with what
// happened.
func TestLockOfAnExitedProcess(t *testing.T) {
	defer func(d time.Duration) { orphanWait = d }(orphanWait)
	orphanWait = 300 * time.Millisecond
	dir := t.TempDir()
	other, err := Acquire(dir) // another open file description: a lock held elsewhere
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	must(t, dead.Run())
	must(t, os.WriteFile(filepath.Join(dir, "lock"), []byte(strconv.Itoa(dead.Process.Pid)+"\n"), 0o600))
	_, err = Acquire(dir)
	if fail.KindOf(err) != fail.Locked || !strings.Contains(err.Error(), "has exited") {
		t.Fatalf("a lock that stays held: %v, want fail.Locked naming the exited process", err)
	}
	time.AfterFunc(100*time.Millisecond, func() { other.Release() })
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("a lock released 100 ms later: %v", err)
	}
	l.Release()
}
