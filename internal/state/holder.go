package state

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Holder returns the PID of the process holding the lock of stateDir, or 0 when no
// process holds it. Unlike Acquire it never takes the lock, even for an instant, so
// it cannot make a daemon that starts at the same moment fail.
//
// The lock file names the last process that took the lock, which may have exited;
// Holder believes it only if the kernel's table of locks (/proc/locks) shows that
// process holding an flock(2) write lock on that very file. Where /proc/locks cannot
// be read, a living process with that PID is taken for the holder.
func Holder(stateDir string) int {
	path := filepath.Join(stateDir, "lock")
	pid := PID(stateDir)
	if pid <= 0 {
		return 0
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0
	}
	held, err := flockHeld("/proc/locks", pid, st.Ino)
	if err != nil {
		if alive(pid) {
			return pid
		}
		return 0
	}
	if held {
		return pid
	}
	return 0
}

// flockHeld reports whether the lock table at path (proc(5), /proc/locks) lists an
// FLOCK WRITE lock held by pid on inode ino. Lines look like
//
//	1: FLOCK  ADVISORY  WRITE 9758 fe:00:9985708 0 EOF
//
// Blocked requests ("1: -> FLOCK ...") are skipped.
func flockHeld(path string, pid int, ino uint64) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[3] != "WRITE" {
			continue
		}
		p, _ := strconv.Atoi(fields[4])
		id := fields[5][strings.LastIndexByte(fields[5], ':')+1:]
		n, err := strconv.ParseUint(id, 10, 64)
		if p == pid && err == nil && n == ino {
			return true, nil
		}
	}
	return false, sc.Err()
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
