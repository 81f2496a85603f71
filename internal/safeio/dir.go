package safeio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Dir is an open directory. Every name given to its methods is one path component,
// resolved relative to the open directory and never through a symbolic link: a link
// planted where a maildir expects tmp/ or new/ makes the call fail with ELOOP (or
// ENOTDIR) instead of writing wherever the link points. Holding the directory open also
// means a rename of its ancestors cannot redirect later writes.
type Dir struct {
	f    *os.File
	fd   int
	path string
}

const (
	atSymlinkNofollow = 0x100 // AT_SYMLINK_NOFOLLOW, not exported by package syscall
	openDirFlags      = syscall.O_RDONLY | syscall.O_DIRECTORY | syscall.O_CLOEXEC
)

// OpenDir opens the directory at path. path is the user's choice, so symbolic links in
// it are followed; only what is opened below the Dir is protected.
func OpenDir(path string) (*Dir, error) {
	fd, err := syscall.Open(path, openDirFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("open directory %s: %w", path, err)
	}
	return newDir(fd, path), nil
}

func newDir(fd int, path string) *Dir {
	return &Dir{f: os.NewFile(uintptr(fd), path), fd: fd, path: path}
}

// Path is the directory's path, for messages.
func (d *Dir) Path() string { return d.path }

// Join returns the path of name inside d, for messages.
func (d *Dir) Join(name string) string { return filepath.Join(d.path, name) }

// Close closes the directory.
func (d *Dir) Close() error { return d.f.Close() }

// Sync fsyncs the directory, making its entries durable.
func (d *Dir) Sync() error {
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("fsync directory %s: %w", d.path, err)
	}
	return nil
}

// OpenSub opens the subdirectory name, refusing a symbolic link.
func (d *Dir) OpenSub(name string) (*Dir, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	fd, err := syscall.Openat(d.fd, name, openDirFlags|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("open directory %s: %w", d.Join(name), nofollowErr(err))
	}
	return newDir(fd, d.Join(name)), nil
}

// MkSub creates the subdirectory name with mode perm if it does not exist and opens it
// (refusing a symbolic link). created tells whether it was made now; the caller then
// Syncs d to make the new entry durable.
func (d *Dir) MkSub(name string, perm os.FileMode) (sub *Dir, created bool, err error) {
	if err := checkName(name); err != nil {
		return nil, false, err
	}
	err = syscall.Mkdirat(d.fd, name, uint32(perm.Perm()))
	switch {
	case err == nil:
		created = true
	case !errors.Is(err, syscall.EEXIST):
		return nil, false, fmt.Errorf("mkdir %s: %w", d.Join(name), err)
	}
	sub, err = d.OpenSub(name)
	return sub, created, err
}

// Create creates the file name with O_EXCL for reading and writing; an existing name,
// a symbolic link included, is an error.
func (d *Dir) Create(name string, perm os.FileMode) (*os.File, error) {
	return d.Open(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
}

// Open opens the file name with flag, never following a symbolic link.
func (d *Dir) Open(name string, flag int, perm os.FileMode) (*os.File, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	fd, err := syscall.Openat(d.fd, name, flag|syscall.O_NOFOLLOW|syscall.O_CLOEXEC,
		uint32(perm.Perm()))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.Join(name), Err: nofollowErr(err)}
	}
	return os.NewFile(uintptr(fd), d.Join(name)), nil
}

// Rename moves name to to/newname. Both stay on one file system, so the move is atomic.
func (d *Dir) Rename(name string, to *Dir, newname string) error {
	if err := errors.Join(checkName(name), checkName(newname)); err != nil {
		return err
	}
	if err := syscall.Renameat(d.fd, name, to.fd, newname); err != nil {
		return &os.LinkError{Op: "rename", Old: d.Join(name), New: to.Join(newname), Err: err}
	}
	return nil
}

// Remove removes the file name (a symbolic link itself, never its target). A missing
// file is not an error.
func (d *Dir) Remove(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	err := syscall.Unlinkat(d.fd, name)
	if err != nil && !errors.Is(err, syscall.ENOENT) {
		return &fs.PathError{Op: "remove", Path: d.Join(name), Err: err}
	}
	return nil
}

// Exists reports whether name exists in d, without following a symbolic link.
func (d *Dir) Exists(name string) (bool, error) {
	if err := checkName(name); err != nil {
		return false, err
	}
	err := syscall.Faccessat(d.fd, name, 0, atSymlinkNofollow)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.ENOENT):
		return false, nil
	}
	return false, &fs.PathError{Op: "stat", Path: d.Join(name), Err: err}
}

// ReadDir lists up to n entries of d (all if n <= 0), continuing where the previous call
// stopped, as os.File.ReadDir does; io.EOF ends the listing.
func (d *Dir) ReadDir(n int) ([]os.DirEntry, error) { return d.f.ReadDir(n) }

// nofollowErr makes the error for a refused symbolic link say so.
func nofollowErr(err error) error {
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w (or a symbolic link, which is not followed here)", err)
	}
	return err
}
