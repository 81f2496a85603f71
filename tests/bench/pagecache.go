package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// evict drops the pages of every file under dir from the page cache, once they are
// written back (the caller syncs first). The runs' maildirs are kept until the end
// (see planCleanup), and a full bench writes more than this machine's memory: left
// cached, and read once more by the check of every copy, they could push the server's
// mailbox out of the cache in the last rounds. With them dropped, every run starts
// with the same cache: the server's mailbox, warm. (It did not remove the slowdown of
// the runs that follow getmail6's long runs; the cause of that is not known.)
func evict(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrPermission) {
			return nil // a file the tool made for another user (getmail as root)
		}
		if err != nil {
			return err
		}
		defer f.Close()
		return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	})
}
