// Package safeio writes files so that what it reports written survives a crash or a
// power loss, and so that a symbolic link planted where fetchsecure creates files cannot
// redirect a write elsewhere (getmail CVE-2004-0880).
//
// The rules it follows, in the order restic's local backend and mox's delivery use them:
// write to a new file created with O_EXCL in the target directory (a rename is atomic only
// within one file system), fsync the file, rename it into place, then fsync the directory,
// because the rename itself lives in the directory (fsync(2): "Calling fsync() does not
// necessarily ensure that the entry in the directory containing the file has also reached
// disk").
//
// Linux only: it uses the *at system calls through package syscall.
package safeio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// WriteFile atomically replaces path with data: a temporary file in the same directory
// is written, fsync'd and renamed over path, then the directory is fsync'd. Readers see
// the old or the new content, never a mix, and after WriteFile returns nil the new
// content survives a power loss. The temporary file is removed on any failure.
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", f.Name(), err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Name(), err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename %s: %w", f.Name(), err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so that the creation, rename or removal of its entries
// survives a power loss.
func SyncDir(dir string) error {
	d, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// CreateExcl creates dir/name for reading and writing. It fails if anything, a symbolic
// link included, already has that name. name must be one path component.
func CreateExcl(dir, name string, perm os.FileMode) (*os.File, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(dir, name),
		os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, perm)
}

// errName is returned for a name that is not exactly one path component.
var errName = errors.New("not a single path component")

// checkName accepts exactly one path component: not empty, ".", "..", nor containing
// '/' or NUL.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 255 {
		return fmt.Errorf("file name %q: %w", name, errName)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return fmt.Errorf("file name %q: %w", name, errName)
		}
	}
	return nil
}
