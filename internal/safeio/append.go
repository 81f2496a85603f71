package safeio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// OpenAppend opens path for appending, creating it with perm if needed; a new file's
// directory entry is fsync'd before OpenAppend returns, so records appended and fsync'd
// later cannot vanish with the file. A symbolic link at path is refused.
func OpenAppend(path string, perm os.FileMode) (*os.File, error) {
	const flags = os.O_WRONLY | os.O_APPEND | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
	f, err := os.OpenFile(path, flags|os.O_CREATE|os.O_EXCL, perm)
	if err == nil {
		if err := SyncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	if !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	return os.OpenFile(path, flags, perm)
}

// Append writes rec at the end of f (opened by OpenAppend) in one write and fsyncs f.
// A crash may leave a torn last record, so records should end with a newline and a
// reader should ignore a last line that does not.
func Append(f *os.File, rec []byte) error {
	if _, err := f.Write(rec); err != nil {
		return fmt.Errorf("append to %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", f.Name(), err)
	}
	return nil
}

// AppendRecord appends rec to the file at path durably: OpenAppend, Append, Close.
func AppendRecord(path string, rec []byte, perm os.FileMode) error {
	f, err := OpenAppend(path, perm)
	if err != nil {
		return err
	}
	err = Append(f, rec)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", path, cerr)
	}
	return err
}
