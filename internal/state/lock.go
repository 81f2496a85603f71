package state

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Lock is the exclusive hold one fetchsecure process has on a state directory. Two runs
// on the same state would fetch the same messages twice (getmail has no such lock and
// its users get duplicates).
type Lock struct{ fl *flock.Flock }

// Acquire takes the lock of stateDir without waiting. If another process holds it, the
// error is classified fail.Locked and names that process.
func Acquire(stateDir string) (*Lock, error) {
	if err := mkdir(stateDir); err != nil {
		return nil, err
	}
	path := filepath.Join(stateDir, "lock")
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err == nil && !ok && orphaned(stateDir) {
		ok, err = awaitOrphan(fl)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		return nil, fail.Hint(fail.Locked,
			fmt.Errorf("another fetchsecure%s is using the state in %s", holder(path), stateDir),
			"wait for it to finish, or run `fetchsecure wake` to make a running daemon poll now")
	}
	os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	return &Lock{fl: fl}, nil
}

// PID returns the process holding the lock of stateDir, or 0.
func PID(stateDir string) int {
	b, err := os.ReadFile(filepath.Join(stateDir, "lock"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func holder(path string) string {
	pid := PID(filepath.Dir(path))
	switch {
	case pid <= 0:
		return ""
	case !alive(pid):
		return fmt.Sprintf(" (started by pid %d, which has exited: a program it ran still holds the lock)", pid)
	}
	return fmt.Sprintf(" (pid %d)", pid)
}

// orphanWait bounds how long Acquire waits for a lock whose recorded holder has exited.
var orphanWait = 3 * time.Second

// orphaned reports whether the process that last took the lock of stateDir has exited.
// Its lock can outlive it by the moment a child it was starting takes to exec: Go's
// fork shares the open lock file with the child until execve(2) closes it
// (O_CLOEXEC), and a run killed just then leaves the lock held for that moment. A cron
// run or a test right after such a crash should not fail for it.
func orphaned(stateDir string) bool {
	pid := PID(stateDir)
	return pid > 0 && !alive(pid)
}

// awaitOrphan tries to take the lock until orphanWait has passed.
func awaitOrphan(fl *flock.Flock) (bool, error) {
	for deadline := time.Now().Add(orphanWait); time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		if ok, err := fl.TryLock(); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// Release gives the lock up.
func (l *Lock) Release() error { return l.fl.Unlock() }
