package secret

import (
	"errors"
	"fmt"
	"strings"
)

// A netrc file (ftp(1), curl(1), fetchmail(1)) is a sequence of whitespace-separated
// tokens: "machine NAME" or "default" starts an entry, which "login NAME",
// "password STRING" and "account STRING" complete; "macdef NAME" starts a macro whose
// body runs to the next blank line. This parser follows Python's netrc module, the
// reference most people test their files with:
//   - a token may be quoted with double quotes, so that it can hold spaces;
//   - a backslash makes the next character literal, inside quotes or not;
//   - "user" is a synonym of "login";
//   - where a keyword is expected, an unquoted token starting with "#" starts a comment
//     that runs to the end of the line; a value is always taken as it is, so a
//     password may start with "#".

// netrcEntry is one "machine" or "default" entry.
type netrcEntry struct {
	machine     string // "" for the default entry
	isDefault   bool
	login       string
	password    string
	hasPassword bool
	line        int // where the entry starts
}

// netrcError is a syntax error at a line of the file.
type netrcError struct {
	line int
	msg  string
}

func (e *netrcError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// parseNetrc returns the entries of a netrc file, in file order.
func parseNetrc(b []byte) ([]netrcEntry, error) {
	l := &netrcLexer{b: b, line: 1}
	var entries []netrcEntry
	cur := -1 // index of the entry being filled, or -1
	for {
		tok, line, quoted, ok := l.token()
		if !ok {
			return entries, nil
		}
		if !quoted && strings.HasPrefix(tok, "#") {
			l.skipLine()
			continue
		}
		switch tok {
		case "machine", "default":
			e := netrcEntry{isDefault: tok == "default", line: line}
			if tok == "machine" {
				v, err := l.value(tok, line)
				if err != nil {
					return nil, err
				}
				e.machine = v
			}
			entries = append(entries, e)
			cur = len(entries) - 1
		case "login", "user", "password", "account":
			v, err := l.value(tok, line)
			if err != nil {
				return nil, err
			}
			if cur < 0 {
				return nil, &netrcError{line, fmt.Sprintf("%q before any \"machine\" or \"default\"", tok)}
			}
			entries[cur].set(tok, v)
		case "macdef":
			if _, err := l.value(tok, line); err != nil {
				return nil, err
			}
			l.skipMacro()
			cur = -1
		default:
			// The word is not shown: it may be part of a password that needed quotes.
			return nil, &netrcError{line, "unexpected word where machine, default, login, password, " +
				"account or macdef was expected (quote a value that contains spaces)"}
		}
	}
}

func (e *netrcEntry) set(keyword, value string) {
	switch keyword {
	case "login", "user":
		e.login = value
	case "password":
		e.password, e.hasPassword = value, true
	}
}

// lookupNetrc finds the password for login at machine: an entry naming both, else a
// machine entry without a login; then, if allowDefault, the default entry (with that
// login or none). Host names compare case-insensitively.
func lookupNetrc(entries []netrcEntry, machine, login string, allowDefault bool) (netrcEntry, bool) {
	var loose, def *netrcEntry
	for i := range entries {
		e := &entries[i]
		if !e.hasPassword || (e.login != "" && e.login != login) {
			continue
		}
		switch {
		case !e.isDefault && strings.EqualFold(e.machine, machine) && e.login != "":
			return *e, true
		case !e.isDefault && strings.EqualFold(e.machine, machine) && loose == nil:
			loose = e
		case e.isDefault && def == nil:
			def = e
		}
	}
	if loose != nil {
		return *loose, true
	}
	if def != nil && allowDefault {
		return *def, true
	}
	return netrcEntry{}, false
}

// netrcLexer splits a netrc file into tokens.
type netrcLexer struct {
	b    []byte
	i    int
	line int
}

var errNetrcEOF = errors.New("unexpected end of file")

// token returns the next token, the line it starts on, and whether it was quoted.
func (l *netrcLexer) token() (tok string, line int, quoted, ok bool) {
	l.skipSpace()
	if l.i >= len(l.b) {
		return "", l.line, false, false
	}
	line = l.line
	var sb strings.Builder
	if l.b[l.i] == '"' {
		l.i++
		quoted = true
	}
	for l.i < len(l.b) {
		c := l.b[l.i]
		if (quoted && c == '"') || (!quoted && isNetrcSpace(c)) {
			if quoted {
				l.i++
			}
			break
		}
		if c == '\\' && l.i+1 < len(l.b) {
			l.i++
			c = l.b[l.i]
		}
		if c == '\n' {
			l.line++
		}
		sb.WriteByte(c)
		l.i++
	}
	return sb.String(), line, quoted, true
}

// value returns the token after keyword, which must be there.
func (l *netrcLexer) value(keyword string, line int) (string, error) {
	v, _, _, ok := l.token()
	if !ok {
		return "", &netrcError{line, fmt.Sprintf("%q has no value: %v", keyword, errNetrcEOF)}
	}
	return v, nil
}

func (l *netrcLexer) skipSpace() {
	for l.i < len(l.b) && isNetrcSpace(l.b[l.i]) {
		if l.b[l.i] == '\n' {
			l.line++
		}
		l.i++
	}
}

// skipLine skips to the start of the next line.
func (l *netrcLexer) skipLine() {
	for l.i < len(l.b) && l.b[l.i] != '\n' {
		l.i++
	}
	if l.i < len(l.b) {
		l.i++
		l.line++
	}
}

// skipMacro skips a macro body: the rest of the macdef line, then every line up to
// and including the first blank one (or the end of the file).
func (l *netrcLexer) skipMacro() {
	l.skipLine()
	for l.i < len(l.b) {
		start := l.i
		l.skipLine()
		if strings.TrimSpace(string(l.b[start:l.i])) == "" {
			return
		}
	}
}

func isNetrcSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
