package imap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// DefaultMaxLine bounds what go-imap may have to hold in memory for one response: its
// text and the literals it buffers (mailbox names, envelope fields), message bodies
// excepted. Real servers stay far below it (a FLAGS line with a hundred keywords is
// about 2 KiB).
const DefaultMaxLine = 64 << 10

// maxLiterals bounds the literals of one response: a FETCH response carries one body;
// a server sending thousands would keep the client busy forever.
const maxLiterals = 64

// maxLiteralDigits: 18 digits always fit an int64; more is an absurd size
// (isync CVE-2021-3657 is the 32-bit overflow of such a number).
const maxLiteralDigits = 18

// wire sits between the connection and go-imap's parser, which trusts the server with
// its memory: it accumulates a line without end, a 1 GiB literal in a LIST response or
// an ENVELOPE, and it closes the connection on "~{n}" (literal8, RFC 3516) even where
// Cyrus sends it for BODY[]. wire follows the stream's framing (RFC 9051 §4.3 lines
// and literals), which needs no grammar beyond the literal header at the end of a
// line, and:
//
//   - refuses a response whose text plus buffered literals exceeds maxLine;
//   - passes message bodies, the literals after BODY[...] or BINARY[...] in a FETCH
//     response, straight through without counting or copying them (they are streamed
//     to the maildir, never held in memory);
//   - turns "BODY[] ~{n}" into "BODY[] {n}" (a literal8 is a literal that may hold
//     NUL bytes, which a body literal may already hold for go-imap);
//   - reports a connection that ends inside a literal as io.ErrUnexpectedEOF, where
//     go-imap's io.LimitReader would report a clean io.EOF and so present a truncated
//     message as complete;
//   - remembers whether the stream failed (a read error) or was refused (a
//     violation), so that errors can be classified.
type wire struct {
	net.Conn
	r       *bufio.Reader
	maxLine int
	line    []byte // the current segment, being checked or handed out
	out     []byte // checked bytes not yet read
	lit     int64  // body literal bytes still to pass through
	used    int    // bytes of the current response counted against maxLine
	lits    int    // literals in the current response
	fetch   bool   // the current response is "* n FETCH"
	err     error  // sticky: returned once out is drained

	mu        sync.Mutex // guards violation and readErr: errorOf runs on another goroutine
	violation error      // why wire refused the stream, or nil
	readErr   error      // the connection's read error, or nil
}

// newWire wraps conn; r reads conn (it may hold bytes already read from it).
func newWire(conn net.Conn, r io.Reader, maxLine int) *wire {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &wire{Conn: conn, r: bufio.NewReaderSize(r, 16<<10), maxLine: maxLine}
}

func (w *wire) Read(p []byte) (int, error) {
	for len(w.out) == 0 && w.lit == 0 {
		if w.err != nil {
			return 0, w.err
		}
		w.err = w.segment()
	}
	if len(w.out) > 0 {
		n := copy(p, w.out)
		w.out = w.out[n:]
		return n, nil
	}
	n, err := w.r.Read(p[:min(int64(len(p)), w.lit)])
	w.lit -= int64(n)
	if err != nil {
		if err == io.EOF {
			err = fmt.Errorf("the connection ended %d bytes before the end of a message: %w", w.lit, io.ErrUnexpectedEOF)
		}
		w.failed(nil, err)
		w.err, w.lit = err, 0
		if n == 0 {
			return 0, err
		}
	}
	return n, nil
}

// segment reads the next line (up to a literal, or to the end of the response),
// checks it and queues it in out.
func (w *wire) segment() error {
	w.line = w.line[:0]
	for {
		chunk, err := w.r.ReadSlice('\n')
		w.line = append(w.line, chunk...)
		if w.used+len(w.line) > w.maxLine {
			return w.refuse(fmt.Errorf("the server sent a reply line longer than %d bytes", w.maxLine))
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			w.out = w.line
			w.failed(nil, err)
			return err
		}
		break
	}
	if w.used == 0 && w.lits == 0 {
		w.fetch = isFetch(w.line)
	}
	w.used += len(w.line)
	w.out = w.line
	return w.literal()
}

// literal looks for a literal header at the end of the segment and prepares for the
// literal, or ends the response.
func (w *wire) literal() error {
	start, end, ok := literalHeader(w.line)
	if !ok {
		w.used, w.lits, w.fetch = 0, 0, false
		return nil
	}
	digits := w.line[start+1 : end]
	if len(digits) > maxLiteralDigits {
		return w.refuse(fmt.Errorf("the server announced a literal of %s bytes", digits[:min(len(digits), 40)]))
	}
	var n int64
	for _, d := range digits {
		n = n*10 + int64(d-'0')
	}
	if w.lits++; w.lits > maxLiterals {
		return w.refuse(fmt.Errorf("the server sent more than %d literals in one response", maxLiterals))
	}
	before := w.line[:start]
	tilde := start > 0 && before[start-1] == '~'
	if tilde {
		before = before[:start-1]
	}
	if w.fetch && isBody(before, "") {
		if tilde && isBody(before, "BODY") {
			// Literal8 after BODY[] (Cyrus): go-imap accepts "~" only after BINARY[].
			w.line = append(w.line[:start-1], w.line[start:]...)
			w.out = w.line
		}
		w.lit = n
		return nil
	}
	if w.used+int(min(n, int64(w.maxLine)+1)) > w.maxLine {
		return w.refuse(fmt.Errorf("the server announced a literal of %d bytes where at most %d are expected", n, w.maxLine-w.used))
	}
	w.used += int(n)
	w.lit = n // counted, and passed through like the body literals
	return nil
}

func (w *wire) refuse(err error) error {
	w.failed(err, nil)
	return fail.Wrap(fail.Protocol, err)
}

// failed records a violation or a read error; the first of each is kept.
func (w *wire) failed(violation, readErr error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.violation == nil {
		w.violation = violation
	}
	if w.readErr == nil {
		w.readErr = readErr
	}
}

// sound reports whether the stream has neither failed nor been refused so far.
func (w *wire) sound() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.violation == nil && w.readErr == nil
}

// literalHeader finds "{digits}" at the end of a line, before an optional space and
// CR (go-imap accepts both) and the LF; start and end index '{' and '}'.
func literalHeader(line []byte) (start, end int, ok bool) {
	l := bytes.TrimSuffix(line, []byte("\n"))
	l = bytes.TrimSuffix(l, []byte("\r"))
	l = bytes.TrimSuffix(l, []byte(" "))
	if len(l) < 3 || l[len(l)-1] != '}' {
		return 0, 0, false
	}
	end = len(l) - 1
	start = bytes.LastIndexByte(l[:end], '{')
	if start < 0 || start+1 == end {
		return 0, 0, false
	}
	for _, c := range l[start+1 : end] {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
	}
	return start, end, true
}

// isFetch reports whether a response starts "* <number> FETCH " (RFC 9051 §7.5.2).
func isFetch(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("* "))
	if !ok {
		return false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	rest = rest[i:]
	return i > 0 && len(rest) >= 7 && bytes.EqualFold(rest[:7], []byte(" FETCH "))
}

// isBody reports whether the text before a literal ends with a body section:
// "BODY[...] ", "BODY[...]<n> " or "BINARY[...] " (only name, if given). Only there
// does go-imap stream the literal instead of buffering it.
func isBody(before []byte, name string) bool {
	b, ok := bytes.CutSuffix(before, []byte(" "))
	if !ok {
		return false
	}
	if len(b) > 0 && b[len(b)-1] == '>' { // partial: BODY[]<0>
		i := bytes.LastIndexByte(b, '<')
		if i < 0 {
			return false
		}
		b = b[:i]
	}
	if len(b) == 0 || b[len(b)-1] != ']' {
		return false
	}
	i := bytes.LastIndexByte(b, '[')
	if i < 0 || bytes.ContainsAny(b[i+1:len(b)-1], "[]") {
		return false
	}
	b = b[:i]
	for _, att := range []string{"BODY", "BINARY"} {
		if name != "" && att != name {
			continue
		}
		if len(b) >= len(att) && bytes.EqualFold(b[len(b)-len(att):], []byte(att)) {
			rest := b[:len(b)-len(att)]
			if len(rest) > 0 && (rest[len(rest)-1] == ' ' || rest[len(rest)-1] == '(') {
				return true
			}
		}
	}
	return false
}

// errorOf explains why a command failed when the server gave no tagged NO or BAD:
// the connection failed (fail.Temporary, with the reason), the wire refused the
// stream (fail.Protocol), or go-imap could not parse what the server sent
// (fail.Protocol: an unknown response, a malformed one). err is go-imap's error.
func (w *wire) errorOf(what string, err error) error {
	w.mu.Lock()
	violation, readErr := w.violation, w.readErr
	w.mu.Unlock()
	switch {
	case violation != nil:
		return fail.Hint(fail.Protocol, fmt.Errorf("%s: %w", what, violation),
			"the server sent something no mail server should; fetchsecure stopped reading it")
	case errors.Is(readErr, io.EOF):
		return fail.Hint(fail.Temporary, fmt.Errorf("%s: the server closed the connection", what),
			"fetchsecure will try again; nothing it did not deliver was deleted")
	case readErr != nil && !errors.Is(readErr, net.ErrClosed):
		return fail.Wrap(fail.Temporary, fmt.Errorf("%s: %w", what, readErr))
	case isClosed(err):
		return fail.Wrap(fail.Temporary, fmt.Errorf("%s: %w", what, err))
	}
	return fail.Hint(fail.Protocol, fmt.Errorf("%s: the server's reply could not be understood: %w", what, err),
		"the server may use an IMAP extension fetchsecure does not know; the next run tries again")
}

// isClosed reports errors of a connection that went away rather than of a reply that
// could not be parsed.
func isClosed(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}
