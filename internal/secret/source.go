package secret

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// ErrNoSource is returned (classified fail.Config) by Resolve on a zero Source; the
// caller may prompt instead when it runs interactively.
var ErrNoSource = errors.New("no password source is configured")

// ErrNotStored says that the place the configuration names (the keyring, a netrc
// file) holds no secret for the account. Like ErrNoSource, the caller may prompt.
var ErrNotStored = errors.New("no password is stored there")

// Missing reports whether err says that the secret is nowhere fetchsecure looks
// (ErrNoSource or ErrNotStored): the one case where asking the user is right.
func Missing(err error) bool {
	return errors.Is(err, ErrNoSource) || errors.Is(err, ErrNotStored)
}

// Source says where a secret comes from. At most one of Literal, Command, File,
// Keyring and Netrc is set; the configuration guarantees it (if several are, they win
// in that order).
type Source struct {
	Literal Secret   // the value itself (password = "...")
	Command []string // argv of a command printing the secret on its first line
	File    string   // absolute path of a file holding the secret on its first line
	Keyring bool     // the OS keyring, service KeyringService, key Account
	Netrc   *Netrc   // a netrc file (password_netrc, or no source configured)

	// Account is the account's name: the keyring key, and named in messages.
	Account string
}

// IsZero reports whether no source is set.
func (s Source) IsZero() bool {
	return s.Literal == "" && len(s.Command) == 0 && s.File == "" && !s.Keyring && s.Netrc == nil
}

// String describes the source without revealing anything: `literal`, `command "pass"`
// (the command's name only: its arguments may be sensitive), `file "/path"`,
// `keyring`, `netrc "/path"` or `none`.
func (s Source) String() string {
	switch {
	case s.Literal != "":
		return "literal"
	case len(s.Command) > 0:
		return fmt.Sprintf("command %q", s.Command[0])
	case s.File != "":
		return fmt.Sprintf("file %q", s.File)
	case s.Keyring:
		return "keyring"
	case s.Netrc != nil:
		return fmt.Sprintf("netrc %q", s.Netrc.Path)
	}
	return "none"
}

// Resolve returns the secret. A command runs without a shell, with standard input from
// /dev/null, for at most 30 seconds; its first line of output is the secret. Errors never
// contain the secret, nor a command's standard output (only its standard error).
// They are classified:
//   - fail.Config: no source, nothing stored in the keyring or the netrc file (both
//     also match Missing), a missing or unreadable file, an empty file, a command that
//     cannot be started (not found, not executable): the configuration is wrong;
//   - fail.Insecure: the file (or netrc file) can be read by group or others;
//   - fail.Auth: the command ran but failed, timed out or printed nothing, or the
//     keyring is unreachable or locked: the credential is unavailable, which neither
//     the configuration nor a quick retry fixes, so it is reported like a refused login;
//   - the context's error, wrapped, if ctx ended first.
func (s Source) Resolve(ctx context.Context) (Secret, error) {
	var v Secret
	var err error
	switch {
	case s.Literal != "":
		return s.Literal, nil
	case len(s.Command) > 0:
		return runCommand(ctx, s.Command)
	case s.File != "":
		return readFile(s.File)
	case s.Keyring:
		v, err = KeyringGet(ctx, KeyringService, s.Account)
	case s.Netrc != nil:
		v, err = s.Netrc.lookup()
		if s.Netrc.Auto && Missing(err) {
			err = fmt.Errorf("%w, and %v", ErrNoSource, err)
		}
	default:
		err = ErrNoSource
	}
	if Missing(err) {
		return "", fail.Hint(fail.Config, err, s.missingHint())
	}
	return v, err
}

// missingHint lists the ways to give the account a password.
func (s Source) missingHint() string {
	name := s.Account
	if name == "" {
		name = "ACCOUNT"
	}
	set := fmt.Sprintf("`fetchsecure password set %s`", name)
	switch {
	case s.Keyring:
		return "store it with " + set
	case s.Netrc != nil && !s.Netrc.Auto:
		return fmt.Sprintf("add a line `machine %s login %s password ...` to %s", s.Netrc.Machine, s.Netrc.Login, s.Netrc.Path)
	}
	return "set password_command or password_file; or set password_keyring = true and run " + set +
		"; or add a `machine HOST login USER password ...` line to ~/.netrc; or run fetchsecure on a terminal to be asked"
}

// maxLine bounds what is read of a secret file or a command's output.
const maxLine = 64 << 10

func readFile(path string) (Secret, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fail.Hint(fail.Config, fmt.Errorf("secret file: %w", err),
			"check the path of password_file")
	}
	defer f.Close()
	// Check the mode of the file actually opened, not of whatever the path names now.
	fi, err := f.Stat()
	if err != nil {
		return "", fail.Wrap(fail.Config, fmt.Errorf("stat secret file: %w", err))
	}
	if Exposed(fi.Mode()) {
		return "", fail.Hint(fail.Insecure, fmt.Errorf("secret file %s has mode %04o: group or others can read it",
			path, fi.Mode().Perm()), "run chmod 600 "+path)
	}
	line, err := firstLine(io.LimitReader(f, maxLine))
	if err != nil {
		return "", fail.Wrap(fail.Config, fmt.Errorf("read secret file %s: %w", path, err))
	}
	if line == "" {
		return "", fail.Hint(fail.Config, fmt.Errorf("secret file %s has an empty first line", path),
			"write the password on the first line of the file")
	}
	return Secret(line), nil
}

// firstLine returns the first line of r without its line ending ("\n" or "\r\n").
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(r, 4096).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	return strings.TrimSuffix(line, "\r"), nil
}
