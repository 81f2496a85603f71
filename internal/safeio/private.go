package safeio

import (
	"fmt"
	"os"
	"syscall"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// CheckPrivate refuses a directory that another local user could change: one owned by
// another user, or writable by its group or by others. fetchsecure keeps its state,
// its lock and its spool in such directories; whoever can write there can replace the
// journal (and so have mail deleted that was never delivered) or plant a link where a
// file is about to be created (the race of getmail CVE-2004-0880). The path may be a
// symbolic link: what counts is the directory it leads to.
func CheckPrivate(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fail.Wrap(fail.Config, err)
	}
	if !fi.IsDir() {
		return fail.Errorf(fail.Config, "%s is not a directory", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fail.Hint(fail.Insecure,
			fmt.Errorf("%s belongs to user id %d, not to this user (%d)", dir, st.Uid, os.Geteuid()),
			"another user could change fetchsecure's files there; choose a directory of your own (state_dir)")
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fail.Hint(fail.Insecure,
			fmt.Errorf("%s has mode %04o: its group or others can write to it", dir, perm),
			"run chmod 700 "+dir)
	}
	return nil
}

// MkdirPrivate creates dir (and missing parents) with mode 0700 if needed, and checks
// with CheckPrivate that it is private.
func MkdirPrivate(dir string) error {
	if err := MkdirAll0700(dir); err != nil {
		return Classify(err)
	}
	return CheckPrivate(dir)
}
