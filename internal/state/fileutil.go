package state

import (
	"os"
	"path/filepath"
	"syscall"
)

const syscall_O_NOFOLLOW = syscall.O_NOFOLLOW

// writeFileAtomic replaces path with data durably: temp file, fsync, rename, fsync dir.
// TODO(merge): use internal/safeio.WriteFile once it lands.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
