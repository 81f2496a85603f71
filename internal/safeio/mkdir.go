package safeio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// MkdirAll0700 creates path and any missing parents with mode 0700, fsyncing each parent
// whose entry it creates. Existing components, path itself included, are the user's and
// may be symbolic links; a component it creates is opened without following links, so
// one planted there meanwhile (getmail CVE-2004-0880) makes it fail rather than be used.
func MkdirAll0700(path string) error {
	path = filepath.Clean(path)
	var missing []string
	p := path
	for {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("mkdir %s: %s is not a directory", path, p)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("mkdir %s: %w", path, err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return fmt.Errorf("mkdir %s: %w", path, err)
		}
		missing = append(missing, filepath.Base(p))
		p = parent
	}
	d, err := OpenDir(p)
	if err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		sub, err := mkSubDurable(d, missing[i])
		d.Close()
		if err != nil {
			return err
		}
		d = sub
	}
	return d.Close()
}

// mkSubDurable creates name in d with mode 0700 and fsyncs d if it did.
func mkSubDurable(d *Dir, name string) (*Dir, error) {
	sub, created, err := d.MkSub(name, 0o700)
	if err != nil {
		return nil, err
	}
	if created {
		if err := d.Sync(); err != nil {
			sub.Close()
			return nil, err
		}
	}
	return sub, nil
}
