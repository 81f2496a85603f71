package fetchmailrc

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Options tune an import.
type Options struct {
	// LocalUser is the local login name. fetchmail uses it as the server-side user name
	// of an entry that names none, and delivers to it when an entry has no `is NAME
	// here`. The command sets it from the current user; if empty, such accounts get a
	// commented-out deliver_to and a warning.
	LocalUser string
	// HomeDir is the user's home directory. fetchmail ran the mda through /bin/sh, which
	// expanded a leading ~; fetchsecure runs no shell, so the importer writes the path
	// out. If empty, such an mda is written commented out, with a warning.
	HomeDir string
}

// Result is an imported configuration.
type Result struct {
	// TOML is the configuration, with comments. It may hold passwords: write it with
	// mode 0600.
	TOML []byte
	// Warnings are the things the user should read: what fetchmail 6.4 itself rejects,
	// options without an equivalent, plaintext passwords. In file order.
	Warnings []Warning
}

// Warning is a remark about one place in the fetchmailrc.
type Warning struct {
	File string
	Line int // 0: about the file as a whole
	Msg  string
}

func (w Warning) String() string {
	if w.Line == 0 {
		return fmt.Sprintf("%s: %s", w.File, w.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg)
}

// Import reads the fetchmailrc src, named name in messages and in the generated
// header, and returns the equivalent fetchsecure configuration. It fails only when src
// cannot be read as a run-control file at all (a NUL byte, an unterminated string);
// everything else, including what fetchmail itself rejects, becomes a warning.
func Import(name string, src []byte, opts Options) (*Result, error) {
	if name == "" {
		name = "<stdin>"
	}
	if i := strings.IndexByte(string(src), 0); i >= 0 {
		line := 1 + strings.Count(string(src[:i]), "\n")
		return nil, fail.Hint(fail.Config, fmt.Errorf("%s:%d: NUL byte: not a text file", name, line),
			"give the path of your .fetchmailrc")
	}
	d := &diags{file: name}
	text := string(src)
	if strings.HasPrefix(text, "\uFEFF") {
		text = " " + text[len("\uFEFF"):] // keep offsets and lines; fetchmail would choke on it
		d.add(1, "the file starts with a byte-order mark, which fetchmail 6.4 rejects; ignored")
	}
	if !utf8.ValidString(text) {
		d.add(0, "the file is not valid UTF-8; TOML must be, so invalid bytes in values "+
			"become U+FFFD (check the values flagged below)")
	}
	rc, lerr := parse(text, d)
	if lerr != nil {
		return nil, fail.Hint(fail.Config, fmt.Errorf("%s:%d: %s", name, lerr.line, lerr.msg),
			"close the quote, then import again")
	}
	out := convert(rc, name, opts, d)
	return &Result{TOML: out, Warnings: d.sorted()}, nil
}

// diags collects warnings, without repeating one (an option inherited from `defaults`
// would otherwise be reported once per account).
type diags struct {
	file string
	list []Warning
	seen map[string]bool
}

func (d *diags) add(line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	key := fmt.Sprint(line, msg)
	if d.seen[key] {
		return
	}
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	d.seen[key] = true
	d.list = append(d.list, Warning{File: d.file, Line: line, Msg: msg})
}

// sorted returns the warnings in line order, stable for one line.
func (d *diags) sorted() []Warning {
	out := slices.Clone(d.list)
	slices.SortStableFunc(out, func(a, b Warning) int { return a.Line - b.Line })
	return out
}
