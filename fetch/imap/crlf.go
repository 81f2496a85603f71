package imap

import (
	"bytes"
	"io"
)

// lfReader turns CRLF into LF while streaming (IMAP literals are CRLF, RFC 9051 §4.3;
// maildirs and MDAs want LF). A lone CR or LF is passed through untouched, so no other
// byte of the message changes. It fills the chunks a handoff gives it (next), so it
// has no buffer of its own.
type lfReader struct {
	r  io.Reader
	cr bool // the last byte read was CR; it is held until we know what follows
}

// next reads into buf until it is at least half full or the input ends, and returns
// buf's head, converted (it always starts at buf[0]). go-imap hands a literal out in
// pieces of its 4 KiB read buffer, and passing those on one by one would cost the
// maildir one write(2) per 4 KiB. A CR at the end of buf is held back until the next
// call shows whether an LF follows.
func (l *lfReader) next(buf []byte) ([]byte, error) {
	n := 0
	if l.cr {
		buf[0], n, l.cr = '\r', 1, false
	}
	var err error
	for n < len(buf)/2 && err == nil {
		var m int
		m, err = l.r.Read(buf[n:])
		n += m
	}
	b := buf[:n]
	if len(b) > 0 && b[len(b)-1] == '\r' && err == nil {
		b, l.cr = b[:len(b)-1], true
	}
	return b[:squeeze(b)], err
}

// reset makes l read a new message from r.
func (l *lfReader) reset(r io.Reader) { *l = lfReader{r: r} }

// squeeze removes, in place, each CR that precedes an LF, and returns the new length.
// It moves whole lines with copy (memmove), not byte by byte, and finds them with
// IndexByte, not bytes.Index: this runs over every line of every message, and a
// two-byte bytes.Index costs twice as much per line.
func squeeze(b []byte) int {
	w, r := 0, 0 // b[:w] is done; b[r:] is still to look at
	for {
		i := crlfAt(b[r:])
		if i < 0 {
			if w == r {
				return len(b)
			}
			return w + copy(b[w:], b[r:])
		}
		if w != r {
			copy(b[w:], b[r:r+i])
		}
		w += i
		r += i + 1 // drop the CR
	}
}

// crlfAt is the index of the first CR followed by LF in b, or -1.
func crlfAt(b []byte) int {
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], '\r')
		if i < 0 {
			return -1
		}
		off += i
		if off+1 < len(b) && b[off+1] == '\n' {
			return off
		}
		off++
	}
}
