package mbox

import (
	"bytes"
	"io"
	"strings"
	"time"
)

// quoter writes what it is given in mboxrd form: a line that matches ^>*From  (any
// number of '>' then "From ") gets one more '>' in front, so that a reader can tell
// it from a message separator and remove exactly that '>' again. Everything else passes
// unchanged; lines of any length cost no buffering, since only the start of a line is
// held back until it is known whether it needs the '>'.
type quoter struct {
	w       io.Writer
	midLine bool  // past the start of the current line: copy up to the next '\n'
	gt      int   // '>' held back at the start of the current line
	from    int   // bytes of "From " held back after them
	n       int64 // bytes received
	last    byte  // last byte received
	err     error
}

const fromSep = "From "

var (
	gts      = bytes.Repeat([]byte{'>'}, 256)
	fromSepB = []byte(fromSep)
)

func (q *quoter) Write(p []byte) (int, error) {
	if q.err != nil {
		return 0, q.err
	}
	total := len(p)
	if total > 0 {
		q.n += int64(total)
		q.last = p[total-1]
	}
	for len(p) > 0 && q.err == nil {
		if q.midLine {
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				q.write(p)
				break
			}
			q.write(p[:i+1])
			p = p[i+1:]
			q.midLine = false
			continue
		}
		switch c := p[0]; {
		case q.from == 0 && c == '>':
			q.gt++
		case c == fromSep[q.from]:
			q.from++
			if q.from == len(fromSep) {
				q.gt++ // the quoting '>'
				q.flushPending()
				q.midLine = true
			}
		default:
			q.flushPending()
			q.midLine = true
			continue // c starts the rest of the line (or is its '\n')
		}
		p = p[1:]
	}
	return total, q.err
}

// Close writes what is held back at the end of an unterminated last line.
func (q *quoter) Close() error {
	q.flushPending()
	return q.err
}

// flushPending writes the held-back '>'s and "From " prefix.
func (q *quoter) flushPending() {
	for q.gt > 0 {
		k := min(q.gt, len(gts))
		q.write(gts[:k])
		q.gt -= k
	}
	q.write(fromSepB[:q.from])
	q.from = 0
}

func (q *quoter) write(p []byte) {
	if q.err == nil && len(p) > 0 {
		_, q.err = q.w.Write(p)
	}
}

// fromLine is the separator line before a message: "From " sender asctime-date.
func fromLine(sender string, t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return "From " + sender + " " + t.Local().Format(time.ANSIC) + "\n"
}

// returnPath finds the envelope sender in a message's header (the start of the message
// in hdr): the address of the first Return-Path field, or MAILER-DAEMON when there is
// none, it is "<>" (a bounce), or it could break the From line (spaces, controls).
func returnPath(hdr []byte) string {
	for len(hdr) > 0 {
		line := hdr
		if i := bytes.IndexByte(hdr, '\n'); i >= 0 {
			line, hdr = hdr[:i], hdr[i+1:]
		} else {
			hdr = nil
		}
		if len(bytes.TrimRight(line, "\r")) == 0 {
			break // end of the header
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if ok && strings.EqualFold(string(bytes.TrimSpace(name)), "Return-Path") {
			return senderOf(string(value))
		}
	}
	return "MAILER-DAEMON"
}

func senderOf(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	if v == "" || len(v) > 320 || strings.ContainsFunc(v, func(r rune) bool {
		return r <= ' ' || r == 0x7f || r == '<' || r == '>'
	}) {
		return "MAILER-DAEMON"
	}
	return v
}
