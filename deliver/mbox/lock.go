package mbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

const (
	fOFDSetlk = 37 // F_OFD_SETLK (Linux 3.15), not exported by package syscall

	// dotlockStale is when a dotlock is taken over: Debian's liblockfile and mutt
	// consider a lock file untouched for 5 minutes abandoned.
	dotlockStale = 5 * time.Minute
	// dotlockTouch is how often a held dotlock is refreshed so no one takes it over.
	dotlockTouch = time.Minute
)

// lock is a held pair of mbox locks.
type lock struct {
	f       *os.File // the mbox, open for reading and appending, fcntl-locked
	dot     string   // the dotlock's path, or "" if the directory is not writable
	touched time.Time
}

// lock opens the mbox (creating it with mode 0600) and takes both locks, waiting up to
// Options.LockTimeout.
func (m *Mbox) lock(ctx context.Context) (*lock, error) {
	f, err := os.OpenFile(m.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open mbox: %w", err)
	}
	deadline := time.Now().Add(m.opts.LockTimeout)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		l, err := tryLock(f, m.path+".lock")
		if l != nil || err != nil {
			if err != nil {
				f.Close()
			}
			return l, err
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fail.Hint(fail.Temporary,
				fmt.Errorf("mbox %s is locked by another program", m.path),
				"try again later; if no mail program runs, remove a stale "+m.path+".lock")
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fail.Wrap(fail.Temporary, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// tryLock takes the dotlock and then the fcntl lock without waiting. It returns nil, nil
// if either is held by someone else, having let go of the other.
func tryLock(f *os.File, dot string) (*lock, error) {
	held, err := takeDotlock(dot)
	switch {
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS):
		dot = "" // directory not writable: fcntl alone
	case err != nil:
		return nil, fmt.Errorf("dotlock %s: %w", dot, err)
	case !held:
		return nil, nil
	}
	ok, err := fcntlLock(f)
	if !ok || err != nil {
		if dot != "" {
			os.Remove(dot)
		}
		return nil, err
	}
	return &lock{f: f, dot: dot, touched: time.Now()}, nil
}

// takeDotlock creates the lock file with O_EXCL, taking over one that is stale: older
// than dotlockStale, or abandoned by a process that no longer exists.
func takeDotlock(path string) (bool, error) {
	for try := 0; try < 2; try++ {
		if held, err := createDotlock(path); held || err != nil {
			return held, err
		}
		fi, err := os.Lstat(path)
		if err != nil || time.Since(fi.ModTime()) < dotlockStale && !abandoned(path) {
			return false, nil // held (or just released: the caller retries)
		}
		// Stale: remove it if it is still the same file, then try once more.
		if again, err := os.Lstat(path); err == nil && os.SameFile(fi, again) {
			os.Remove(path)
		}
	}
	return false, nil
}

var dotlockSeq atomic.Uint64

// createDotlock makes the lock file appear with its content at once: written under a
// temporary name, then hard-linked to the lock's name, which fails if the lock exists
// (the way liblockfile does it). Created with O_EXCL and written after, a lock would be
// empty for a moment, and a crash in that moment would leave a lock no one can tell
// from a live one: every delivery would wait for it to age. It reports false, nil if
// the lock exists.
func createDotlock(path string) (bool, error) {
	// Unique per attempt: several Mbox values of this process may lock at once. Only a
	// crash between this create and the Remove below could leave the file behind.
	tmp := fmt.Sprintf("%s.%d.%d.tmp", path, os.Getpid(), dotlockSeq.Add(1))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o444)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	_, err = f.WriteString(dotlockOwner())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, path)
	}
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	return err == nil, err
}

// dotlockOwner is what a dotlock of ours holds: "pid:host", as Dovecot writes it.
func dotlockOwner() string {
	host, _ := os.Hostname()
	return strconv.Itoa(os.Getpid()) + ":" + host + "\n"
}

// abandoned reports whether the dotlock at path was left by a process of this machine
// that no longer exists: a delivery killed while it held the lock (SIGKILL, a crash).
// Waiting dotlockStale for it would stall every delivery to the mbox for 5 minutes. As
// Dovecot does, it trusts a lock holding "pid:host" (Dovecot, fetchsecure) or "pid"
// (liblockfile) when the host is this one and kill(pid, 0) finds no such process;
// anything else (procmail's lockfile writes "0") only ages out.
func abandoned(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 300)
	n, _ := f.Read(buf)
	pidText, host, hasHost := strings.Cut(strings.TrimSpace(string(buf[:n])), ":")
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	if me, _ := os.Hostname(); hasHost && host != me {
		return false // another machine's process, on a shared file system
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// fcntlLock takes a write lock on the whole file without waiting.
func fcntlLock(f *os.File) (bool, error) {
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	err := syscall.FcntlFlock(f.Fd(), fOFDSetlk, &lk)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("fcntl lock %s: %w", f.Name(), err)
	}
	return true, nil
}

// touch refreshes the dotlock at most once per dotlockTouch.
func (l *lock) touch() {
	if l.dot != "" && time.Since(l.touched) > dotlockTouch {
		now := time.Now()
		os.Chtimes(l.dot, now, now)
		l.touched = now
	}
}

// unlock releases the fcntl lock (by closing the file) and then the dotlock.
func (l *lock) unlock() error {
	err := l.f.Close()
	if l.dot != "" {
		if rerr := os.Remove(l.dot); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}
