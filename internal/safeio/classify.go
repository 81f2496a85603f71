package safeio

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Classify gives an I/O error met while delivering a kind and a hint. A file system
// error never makes a message undeliverable: the message stays on the server, so every
// kind here is fail.Temporary, with a hint when the user has something to fix. An error
// that already has a kind keeps it.
func Classify(err error) error {
	var fe *fail.Error
	if err == nil || errors.As(err, &fe) {
		return err
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fail.Hint(fail.Temporary, err,
			"free disk space or raise the quota; the message stays on the server")
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fail.Hint(fail.Temporary, err,
			"make the delivery target writable by this user")
	case errors.Is(err, syscall.ELOOP), errors.Is(err, syscall.ENOTDIR):
		return fail.Hint(fail.Temporary, err,
			"a symbolic link or file is where fetchsecure expects a directory it owns; remove it")
	}
	return fail.Wrap(fail.Temporary, err)
}
