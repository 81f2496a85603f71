package pop3

import (
	"bufio"
	"errors"
	"io"
)

// errAbandoned is returned by a message reader used after Fetch's callback returned.
var errAbandoned = errors.New("pop3: message reader used after its callback returned")

// dotReader decodes one dot-stuffed multi-line block (RFC 1939 §3): it removes the
// stuffed dot at the start of each line, turns CRLF into LF (a lone CR or LF is left
// alone) and stops after the "." line. It works a line (or a buffer-sized fragment of a
// longer line) at a time on slices of the bufio.Reader's buffer, because
// textproto.DotReader's byte-at-a-time state machine costs about four times the CPU.
//
// A line starts after every LF, CRLF or not. Its output equals textproto.DotReader's
// (FuzzDotReader checks this), except that textproto keeps the stuffed dot of a line
// that follows an empty line ended by a bare LF. It consumes exactly the bytes up to
// and including the terminator, so the next reply is read from the right place.
type dotReader struct {
	br   *bufio.Reader
	pend []byte // decoded bytes not yet returned: a slice of br's buffer
	pre  bool   // return a '\r' before pend (a held CR that was not part of a CRLF)
	post bool   // return a '\n' after pend (the LF of a CRLF that was shortened)
	cr   bool   // the last fragment ended in '\r': hold it until the next byte is seen
	mid  bool   // the last fragment ended inside a line (no '\n' yet)
	done bool   // the terminating "." line was read
	err  error  // sticky read error
}

// reset prepares d for the next block on br.
func (d *dotReader) reset(br *bufio.Reader) {
	*d = dotReader{br: br}
}

// next reads one line, or one fragment of a line longer than the buffer, and sets
// pre, pend and post to its decoded form. Nothing is copied.
func (d *dotReader) next() error {
	line, err := d.br.ReadSlice('\n')
	if err != nil && err != bufio.ErrBufferFull {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	full := err == nil
	if d.cr {
		d.cr = false
		if full && len(line) == 1 { // the LF of a CRLF split between fragments
			d.mid, d.post = false, true
			return nil
		}
		d.pre = true
	}
	if !d.mid && line[0] == '.' {
		if full && (len(line) == 2 || len(line) == 3 && line[1] == '\r') {
			d.done = true
			return nil
		}
		line = line[1:]
	}
	switch n := len(line); {
	case !full:
		d.mid = true
		if line[n-1] == '\r' {
			d.cr, line = true, line[:n-1]
		}
	case n >= 2 && line[n-2] == '\r':
		d.mid, d.post, line = false, true, line[:n-2]
	default:
		d.mid = false
	}
	d.pend = line
	return nil
}

// Read implements io.Reader. It returns io.EOF after the terminator and
// io.ErrUnexpectedEOF if the stream ends before it.
func (d *dotReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		switch {
		case d.pre:
			p[n], n, d.pre = '\r', n+1, false
		case len(d.pend) > 0:
			k := copy(p[n:], d.pend)
			d.pend, n = d.pend[k:], n+k
		case d.post:
			p[n], n, d.post = '\n', n+1, false
		case d.err != nil:
			return n, d.err
		case d.done:
			return n, io.EOF
		case n > 0 && d.br.Buffered() == 0:
			return n, nil // do not block while holding data for the caller
		default:
			d.err = d.next()
		}
	}
	return n, nil
}

// writeTo copies the block to w through buf; msgReader.WriteTo uses it so that
// io.Copy allocates nothing.
func (d *dotReader) writeTo(w io.Writer, buf []byte) (int64, error) {
	var total int64
	for {
		n, err := d.Read(buf)
		if n > 0 {
			k, werr := w.Write(buf[:n])
			total += int64(k)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// discard skips the rest of the block without copying it.
func (d *dotReader) discard() error {
	d.pend, d.pre, d.post = nil, false, false
	for d.err == nil && !d.done {
		d.err = d.next()
		d.pend = nil
	}
	return d.err
}
