package secret

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Netrc says where to look a password up in a netrc file: the entry for Machine (the
// account's host) and Login (the account's user).
type Netrc struct {
	Path    string // absolute path of the file, normally ~/.netrc
	Machine string
	Login   string
	// Auto: the file is consulted because no other source is configured, as fetchmail
	// does. Then a missing file is simply no password, and the "default" entry is not
	// used: it would hand one password to every server.
	Auto bool
}

// lookup returns the password from the netrc file. The file must belong to the user
// and be unreadable by group and others (fetchmail 6.5 and Python refuse it too); in
// Auto mode an exposed file is refused only if it holds this account's password.
func (n *Netrc) lookup() (Secret, error) {
	b, fi, err := readNetrc(n.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", &notStoredError{n.Path + " does not exist"}
	}
	if err != nil {
		return "", fail.Wrap(fail.Config, fmt.Errorf("netrc: %w", err))
	}
	defer clear(b)
	entries, err := parseNetrc(b)
	if err != nil {
		return "", fail.Hint(fail.Config, fmt.Errorf("%s: %w", n.Path, err),
			"see netrc(5): machine HOST login USER password PASSWORD")
	}
	e, found := lookupNetrc(entries, n.Machine, n.Login, !n.Auto)
	if insecure := netrcExposed(n.Path, fi); insecure != nil && (found || !n.Auto) {
		return "", insecure
	}
	if !found {
		return "", &notStoredError{fmt.Sprintf("%s has no password for machine %s login %s", n.Path, n.Machine, n.Login)}
	}
	return Secret(e.password), nil
}

// readNetrc reads at most maxNetrc bytes of the file and returns its mode and owner.
func readNetrc(path string) ([]byte, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxNetrc+1))
	if err == nil && len(b) > maxNetrc {
		err = fmt.Errorf("%s is larger than %d bytes", path, maxNetrc)
	}
	return b, fi, err
}

const maxNetrc = 1 << 20

// netrcExposed returns a fail.Insecure error if others may read or own the file.
func netrcExposed(path string, fi os.FileInfo) error {
	if Exposed(fi.Mode()) {
		return fail.Hint(fail.Insecure, fmt.Errorf("%s has mode %04o: group or others can read the passwords in it",
			path, fi.Mode().Perm()), "run chmod 600 "+path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fail.Hint(fail.Insecure, fmt.Errorf("%s belongs to user id %d, not to you (%d)", path, st.Uid, os.Getuid()),
			"a netrc file must be your own")
	}
	return nil
}

// notStoredError says where the secret is not; it matches ErrNotStored.
type notStoredError struct{ msg string }

func (e *notStoredError) Error() string        { return e.msg }
func (e *notStoredError) Is(target error) bool { return target == ErrNotStored }
