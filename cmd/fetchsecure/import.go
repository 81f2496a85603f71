package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/fetchmailrc"
)

// importCommand is `fetchsecure import-fetchmailrc [FILE] [-o OUT] [--seed-state]`:
// translate a .fetchmailrc into a fetchsecure config. Nothing is dropped silently:
// what has no equivalent becomes a comment and a warning with file:line.
func importCommand(args []string, stdout, stderr io.Writer) int {
	var g globals
	var out string
	var seedState bool
	rest, code, ok := parse("import-fetchmailrc", args, stderr, &g, false, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "write the config to `FILE` (0600; refuses to overwrite) instead of stdout")
		fs.BoolVar(&seedState, "seed-state", false, "then mark the mail now on the servers as already delivered (needs -o)")
	})
	if !ok {
		return code
	}
	if len(rest) > 1 || seedState && out == "" {
		return report(stderr, "", fail.Errorf(fail.Usage,
			"usage: fetchsecure import-fetchmailrc [FILE] [-o OUT [--seed-state]]"))
	}
	res, err := importFile(rcPath(rest))
	if err != nil {
		return report(stderr, "", err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "fetchsecure: warning: %s\n", w)
	}
	if out == "" {
		stdout.Write(res.TOML)
		return 0
	}
	if err := writeNew(out, res.TOML); err != nil {
		return report(stderr, "", err)
	}
	fmt.Fprintf(stderr, "fetchsecure: wrote %s; check it with: fetchsecure check -c %s\n", out, out)
	if !seedState {
		return 0
	}
	cfg, err := config.Load(out)
	if err != nil {
		report(stderr, "", err)
		fmt.Fprintf(stderr, "fetchsecure: fix %s, then run: fetchsecure seed -c %s\n", out, out)
		return exitCode(fail.KindOf(err))
	}
	g.config = out
	return seed(cfg, &g, nil, stdout, stderr)
}

func rcPath(rest []string) string {
	if len(rest) == 1 {
		return rest[0]
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".fetchmailrc")
}

func importFile(path string) (*fetchmailrc.Result, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fail.Wrap(fail.Usage, fmt.Errorf("read %s: %w", path, err))
	}
	opts := fetchmailrc.Options{}
	if u, err := user.Current(); err == nil {
		opts.LocalUser = u.Username
	}
	opts.HomeDir, _ = os.UserHomeDir()
	return fetchmailrc.Import(path, src, opts)
}

// writeNew writes a file that may hold passwords: mode 0600, never over an existing one.
func writeNew(path string, data []byte) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fail.Wrap(fail.Usage, err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fail.Hint(fail.Usage, fmt.Errorf("%s exists; not overwriting it", path),
			"choose another -o file or move the old one away")
	}
	if err != nil {
		return fail.Wrap(fail.Usage, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fail.Wrap(fail.Usage, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fail.Wrap(fail.Usage, err)
	}
	return f.Close()
}
