// Package spool keeps staged messages in private files for the delivery targets that
// cannot be asked after a crash whether they got a message: an MDA, an LMTP or an SMTP
// server.
//
// Stage copies the message to a spool file, so that the network stream from the mail
// server is never held up by a slow MDA or SMTP server, and Publish delivers from that
// file. Spool files are not fsync'd: after a crash the pipeline fetches the message again
// (the sink's Check answers fetch.Unknown), so a lost spool file loses nothing.
//
// A spool file is created with O_EXCL|O_NOFOLLOW and mode 0600 under a random name, and
// is opened again for delivery with O_NOFOLLOW and checked to be the same file, so that
// another local user can neither read the mail nor make a sink deliver something else.
package spool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

const (
	prefix = "fetchsecure-"
	suffix = ".msg"
	idLen  = 24 // hex digits of randomness in a file name

	// StaleAfter is the age after which Open removes spool files that a crashed run left
	// behind. No run keeps a staged message unpublished for that long.
	StaleAfter = 24 * time.Hour
)

// Dir is a spool directory.
type Dir struct {
	path string
}

// Open checks that path is a directory that other users cannot tamper with and removes
// spool files older than StaleAfter that a crashed run left behind. An empty path means
// os.TempDir().
func Open(path string) (*Dir, error) {
	if path == "" {
		path = os.TempDir()
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fail.Wrap(fail.Config, fmt.Errorf("spool directory: %w", err))
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fail.Hint(fail.Config, fmt.Errorf("spool directory: %w", err),
			"create the spool directory (mode 0700) or point the configuration at another one")
	}
	if !fi.IsDir() {
		return nil, fail.Errorf(fail.Config, "spool directory %s is not a directory", path)
	}
	// In a directory that others may write to without the sticky bit, they could
	// rename our file away and put theirs in its place between Stage and Publish.
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return nil, fail.Hint(fail.Insecure,
			fmt.Errorf("spool directory %s is writable by other users", path),
			"use a private directory (chmod 0700) for spooling")
	}
	d := &Dir{path: path}
	d.sweep(time.Now().Add(-StaleAfter))
	return d, nil
}

// Path returns the directory's absolute path.
func (d *Dir) Path() string { return d.path }

// sweep removes our spool files last modified before cutoff. Errors are ignored: a file
// that cannot be removed (another user's, in a shared /tmp) is not ours to worry about.
func (d *Dir) sweep(cutoff time.Time) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !validName(e.Name()) {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(d.path, e.Name()))
		}
	}
}

// Write copies header and then body into a new spool file. body is read to its end
// unless ctx is cancelled or an error occurs, in which case no file is left behind.
func (d *Dir) Write(ctx context.Context, header []byte, body io.Reader) (*Message, error) {
	f, name, err := d.create()
	if err != nil {
		return nil, err
	}
	m := &Message{dir: d, name: name}
	err = m.fill(ctx, f, header, body)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fail.Wrap(fail.Temporary, fmt.Errorf("close spool file %s: %w", m.path(), cerr))
	}
	if err != nil {
		_ = os.Remove(m.path())
		return nil, err
	}
	return m, nil
}

func (d *Dir) create() (*os.File, string, error) {
	for range 3 {
		name, err := newName()
		if err != nil {
			return nil, "", fail.Wrap(fail.Internal, err)
		}
		p := filepath.Join(d.path, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue // astronomically unlikely, but free to handle
		}
		if err != nil {
			return nil, "", fail.Hint(fail.Temporary, fmt.Errorf("create spool file: %w", err),
				"check that the spool directory exists, is writable and its disk is not full")
		}
		return f, name, nil
	}
	return nil, "", fail.Errorf(fail.Internal, "create spool file in %s: name collisions", d.path)
}

func newName() (string, error) {
	var b [idLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("spool file name: %w", err)
	}
	return prefix + hex.EncodeToString(b[:]) + suffix, nil
}

// validName reports whether name is one that newName makes, so that a receipt read back
// from the journal can never name a file outside the spool directory.
func validName(name string) bool {
	id, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	id, ok = strings.CutSuffix(id, suffix)
	if !ok || len(id) != idLen {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// Forget removes the spool file that a crashed run left behind for receipt, if it is
// still there. A receipt that is not a spool file name is ignored.
func (d *Dir) Forget(receipt string) error {
	if !validName(receipt) {
		return nil
	}
	err := os.Remove(filepath.Join(d.path, receipt))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove leftover spool file: %w", err)
	}
	return nil
}
