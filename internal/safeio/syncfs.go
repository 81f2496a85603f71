package safeio

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// FileSystem identifies the file system holding an open directory.
type FileSystem struct {
	Dev  uint64 // st_dev: directories with the same Dev are on the same file system
	Type int64  // statfs(2) f_type, e.g. unix.EXT4_SUPER_MAGIC
}

// FileSystem returns the file system d is on.
func (d *Dir) FileSystem() (FileSystem, error) {
	var st unix.Stat_t
	if err := unix.Fstat(d.fd, &st); err != nil {
		return FileSystem{}, fmt.Errorf("stat directory %s: %w", d.path, err)
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(d.fd, &sfs); err != nil {
		return FileSystem{}, fmt.Errorf("statfs %s: %w", d.path, err)
	}
	return FileSystem{Dev: st.Dev, Type: sfs.Type}, nil
}

// SyncFS writes back every dirty page and inode of the file system holding d and
// flushes it to stable storage, waiting for all of it (syncfs(2)). Since Linux 5.8 it
// reports a writeback error met anywhere on the file system since d was opened; the
// error of one file is better checked with CheckWriteback.
func (d *Dir) SyncFS() error {
	if err := unix.Syncfs(d.fd); err != nil {
		return fmt.Errorf("syncfs %s: %w", d.path, err)
	}
	return nil
}

// CheckWriteback waits for the writeback of f's pages and reports an error the kernel
// met writing them since f was opened (sync_file_range(2) with WAIT_BEFORE, WRITE and
// WAIT_AFTER: the errseq of the file, as fsync reports it). It neither writes metadata
// nor flushes the device: after SyncFS it costs almost nothing and turns a failed
// write of this file into an error for this file.
func CheckWriteback(f *os.File) error {
	const flags = unix.SYNC_FILE_RANGE_WAIT_BEFORE | unix.SYNC_FILE_RANGE_WRITE | unix.SYNC_FILE_RANGE_WAIT_AFTER
	if err := unix.SyncFileRange(int(f.Fd()), 0, 0, flags); err != nil {
		return fmt.Errorf("writeback of %s: %w", f.Name(), err)
	}
	return nil
}
