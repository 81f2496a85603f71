package pop3

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Error is a -ERR reply from the server.
type Error struct {
	Command string // the command the server refused, without its arguments ("RETR")
	Code    string // RFC 2449 §8 response code without brackets ("SYS/TEMP"), or ""
	Text    string // the server's text after the code, made safe to print
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("server refused %s: -ERR [%s] %s", e.Command, e.Code, e.Text)
	}
	return fmt.Sprintf("server refused %s: -ERR %s", e.Command, e.Text)
}

// errProtocol marks replies that break the protocol; the session cannot continue.
var errProtocol = errors.New("pop3 protocol violation")

// maxText bounds the server text kept in errors and traces.
const maxText = 200

// parseStatus parses a status line (RFC 1939 §3): "+OK [text]" or "-ERR [text]",
// returning the text after the status word as a slice of line. It never panics and
// returns errProtocol for anything else.
func parseStatus(line []byte) (ok bool, rest []byte, err error) {
	switch {
	case hasWord(line, "+OK"):
		return true, bytes.TrimLeft(line[3:], " "), nil
	case hasWord(line, "-ERR"):
		return false, bytes.TrimLeft(line[4:], " "), nil
	}
	return false, nil, fmt.Errorf("%w: status line %q is neither +OK nor -ERR",
		errProtocol, clean(line))
}

// newError builds the Error for a -ERR reply to cmd whose text is rest.
func newError(cmd string, rest []byte) *Error {
	code, text := splitCode(rest)
	return &Error{Command: cmd, Code: code, Text: text}
}

// hasWord reports whether line starts with w followed by a space or the end.
func hasWord(line []byte, w string) bool {
	return len(line) >= len(w) && string(line[:len(w)]) == w &&
		(len(line) == len(w) || line[len(w)] == ' ')
}

// splitCode splits off an RFC 2449 §8 response code: "[" 1*(CHAR except SP, "[",
// "]") "]" at the start of the text (levels separated by "/"). A malformed code is
// left in the text.
func splitCode(rest []byte) (code, text string) {
	if len(rest) > 1 && rest[0] == '[' {
		end := bytes.IndexByte(rest, ']')
		if end > 1 && validCode(rest[1:end]) {
			return string(rest[1:end]), clean(bytes.TrimLeft(rest[end+1:], " "))
		}
	}
	return "", clean(rest)
}

func validCode(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == '[' {
			return false
		}
	}
	return true
}

// clean makes server text safe for errors, logs and terminals: control bytes and
// invalid UTF-8 become '?', and it is cut to maxText bytes.
func clean(b []byte) string {
	if len(b) > maxText {
		b = b[:maxText]
	}
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			r = '?'
		}
		s.WriteRune(r)
		b = b[n:]
	}
	return s.String()
}

// classify gives a -ERR reply its kind: the RFC 2449 §8 and RFC 3206 §4 codes decide,
// else dflt (what a -ERR means for that command).
func classify(e *Error, dflt fail.Kind) error {
	switch strings.ToUpper(e.Code) {
	case "IN-USE":
		return fail.Hint(fail.Temporary, e, "another client has the mailbox open; fetchsecure will try again")
	case "LOGIN-DELAY":
		return fail.Hint(fail.Temporary, e, "the server limits how often you may log in; poll less often")
	case "SYS/TEMP":
		return fail.Hint(fail.Temporary, e, "the server reports a temporary problem; try again later")
	case "SYS/PERM":
		return fail.Hint(fail.Protocol, e, "the server reports a permanent problem; ask its administrator")
	case "AUTH":
		return fail.Hint(fail.Auth, e, "check the user name and password")
	}
	if dflt == fail.Auth {
		return fail.Hint(fail.Auth, e, "check the user name, the password and the auth setting")
	}
	return fail.Wrap(dflt, e)
}
