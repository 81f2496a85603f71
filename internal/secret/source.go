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

// Source says where a secret comes from. At most one field is set; the configuration
// guarantees it (if several are, Literal wins, then Command, then File).
type Source struct {
	Literal Secret   // the value itself (password = "...")
	Command []string // argv of a command printing the secret on its first line
	File    string   // absolute path of a file holding the secret on its first line
}

// IsZero reports whether no source is set.
func (s Source) IsZero() bool { return s.Literal == "" && len(s.Command) == 0 && s.File == "" }

// String describes the source without revealing anything: `literal`, `command "pass"`
// (the command's name only: its arguments may be sensitive), `file "/path"` or `none`.
func (s Source) String() string {
	switch {
	case s.Literal != "":
		return "literal"
	case len(s.Command) > 0:
		return fmt.Sprintf("command %q", s.Command[0])
	case s.File != "":
		return fmt.Sprintf("file %q", s.File)
	}
	return "none"
}

// Resolve returns the secret. A command runs without a shell, with standard input from
// /dev/null, for at most 30 seconds; its first line of output is the secret. Errors never
// contain the secret, nor a command's standard output (only its standard error).
// They are classified:
//   - fail.Config: no source, a missing or unreadable file, an empty file, a command
//     that cannot be started (not found, not executable): the configuration is wrong;
//   - fail.Insecure: the file can be read by group or others;
//   - fail.Auth: the command ran but failed, timed out or printed nothing: the
//     credential is unavailable (a locked keyring, a cancelled pinentry), which neither
//     the configuration nor a quick retry fixes, so it is reported like a refused login;
//   - the context's error, wrapped, if ctx ended first.
func (s Source) Resolve(ctx context.Context) (Secret, error) {
	switch {
	case s.Literal != "":
		return s.Literal, nil
	case len(s.Command) > 0:
		return runCommand(ctx, s.Command)
	case s.File != "":
		return readFile(s.File)
	}
	return "", fail.Hint(fail.Config, ErrNoSource,
		"set password_command or password_file, or run interactively to be prompted")
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
