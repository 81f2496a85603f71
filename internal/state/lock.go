package state

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
	if pid := PID(filepath.Dir(path)); pid > 0 {
		return fmt.Sprintf(" (pid %d)", pid)
	}
	return ""
}

// Release gives the lock up.
func (l *Lock) Release() error { return l.fl.Unlock() }
