package state

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStatusRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadStatus(dir); !IsNotExist(err) {
		t.Fatalf("ReadStatus without a file = %v, want not-exist", err)
	}
	now := time.Now().Round(0).Truncate(time.Second)
	s := &Status{PID: 42, Mode: "daemon", Started: now}
	a := s.Account("work")
	a.LastSuccess, a.RetryDelay, a.Fetched = now, Duration(90*time.Second), 7
	a.Folder("INBOX").Watch = "idle"
	a.Folder("INBOX").Fetched = 7
	if s.Account("work") != a || a.Folder("INBOX") != a.Folders[0] {
		t.Fatal("Account/Folder added a second entry for the same name")
	}
	must(t, WriteStatus(dir, s))
	fi, err := os.Stat(StatusFile(dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("status file: %v, mode %v, want 0600", err, fi.Mode())
	}
	got, err := ReadStatus(dir)
	if err != nil {
		t.Fatal(err)
	}
	ga := got.Accounts[0]
	if got.PID != 42 || !ga.LastSuccess.Equal(now) || ga.RetryDelay != a.RetryDelay ||
		ga.Folders[0].Watch != "idle" || ga.Folders[0].Fetched != 7 {
		t.Fatalf("read back %+v / %+v", got, ga)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files left in the state directory: %v", entries)
	}
}

func TestStatusCloneIsDeep(t *testing.T) {
	s := &Status{}
	s.Account("a").Folder("INBOX").Fetched = 1
	c := s.Clone()
	s.Account("a").Folder("INBOX").Fetched = 2
	s.Account("a").Fetched = 5
	if c.Accounts[0].Folders[0].Fetched != 1 || c.Accounts[0].Fetched != 0 {
		t.Fatal("Clone shares accounts or folders with the original")
	}
}

func TestHolder(t *testing.T) {
	dir := t.TempDir()
	if pid := Holder(dir); pid != 0 {
		t.Fatalf("Holder without a lock file = %d", pid)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pid := Holder(dir); pid != os.Getpid() {
		t.Fatalf("Holder while locked = %d, want %d", pid, os.Getpid())
	}
	must(t, l.Release())
	// The lock file still names this process, but nobody holds the lock.
	if pid := Holder(dir); pid != 0 {
		t.Fatalf("Holder after Release = %d, want 0", pid)
	}
}

func TestFlockHeldParsing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "locks")
	must(t, os.WriteFile(p, []byte(
		"1: POSIX  ADVISORY  WRITE 77 fe:00:1234 0 EOF\n"+
			"2: FLOCK  ADVISORY  READ 77 fe:00:1234 0 EOF\n"+
			"3: FLOCK  ADVISORY  WRITE 77 fe:00:1234 0 EOF\n"+
			"3: -> FLOCK  ADVISORY  WRITE 78 fe:00:1234 0 EOF\n"+
			"garbage\n"), 0o600))
	for _, c := range []struct {
		pid  int
		ino  uint64
		want bool
	}{{77, 1234, true}, {78, 1234, false}, {77, 1235, false}} {
		got, err := flockHeld(p, c.pid, c.ino)
		if err != nil || got != c.want {
			t.Errorf("flockHeld(pid %d, ino %d) = %v, %v; want %v", c.pid, c.ino, got, err, c.want)
		}
	}
}
