package imap

import (
	"errors"
	"io"

	"github.com/fetchsecure/fetchsecure/fetch"
)

// The maildir's write(2) calls cost as much CPU as TLS and the IMAP parser together.
// Done in one goroutine, each waits for the other; so the FETCH response is read by a
// goroutine of its own (the producer), which hands the messages, CRLF already turned
// into LF, in chunks to the goroutine that runs the delivery callback (the consumer).
// The chunks come from a fixed free list, so memory stays bounded whatever the size of
// a message, and a slow delivery stops the reading, not the other way round.
const (
	handoffChunks    = 4
	handoffChunkSize = 64 << 10
)

// errHandoffStopped ends the producer when the consumer gave up.
var errHandoffStopped = errors.New("fetch stopped by the delivery side")

// handoff joins the producer and the consumer of one FETCH command.
type handoff struct {
	msgs chan *handed  // the producer's messages, in server order
	free chan []byte   // empty chunks
	done chan struct{} // closed by the consumer when it stops early
}

func newHandoff() *handoff {
	h := &handoff{msgs: make(chan *handed, 1), free: make(chan []byte, handoffChunks),
		done: make(chan struct{})}
	for range handoffChunks {
		h.free <- make([]byte, handoffChunkSize)
	}
	return h
}

// handed is one message in transit: an io.Reader for the consumer.
type handed struct {
	ref  fetch.Ref
	h    *handoff
	full chan []byte // chunks in order; closed at the end of the message
	err  error       // why the message ended early; written before full is closed
	cur  []byte      // the unread rest of the chunk being read
	held []byte      // that chunk, to be given back
}

// send reads one message body (CRLF form) and hands it over. It returns
// errHandoffStopped if the consumer stopped; a read error goes to the consumer.
func (h *handoff) send(ref fetch.Ref, lf *lfReader) error {
	m := &handed{ref: ref, h: h, full: make(chan []byte, handoffChunks)}
	select {
	case h.msgs <- m:
	case <-h.done:
		return errHandoffStopped
	}
	defer close(m.full)
	for {
		var b []byte
		select {
		case b = <-h.free:
		case <-h.done:
			return errHandoffStopped
		}
		out, err := lf.next(b)
		if len(out) > 0 {
			m.full <- out // never blocks: there are as many slots as chunks
		} else {
			h.free <- b
		}
		if err != nil {
			if err != io.EOF {
				m.err = err
			}
			return nil
		}
	}
}

// Read gives the consumer the message's bytes.
func (m *handed) Read(p []byte) (int, error) {
	for len(m.cur) == 0 {
		m.release()
		b, ok := <-m.full
		if !ok {
			if m.err != nil {
				return 0, m.err
			}
			return 0, io.EOF
		}
		m.cur, m.held = b, b
	}
	n := copy(p, m.cur)
	m.cur = m.cur[n:]
	return n, nil
}

func (m *handed) release() {
	if m.held != nil {
		m.h.free <- m.held[:cap(m.held)]
		m.cur, m.held = nil, nil
	}
}

// drain discards what the consumer left unread, so the producer can go on.
func (m *handed) drain() {
	m.release()
	for b := range m.full {
		m.h.free <- b[:cap(b)]
	}
}

// consume runs fn on each handed message until the producer is done or fn fails; it
// then stops the producer and returns fn's error.
func (h *handoff) consume(fn func(*handed) error) error {
	for m := range h.msgs {
		err := fn(m)
		if err != nil {
			close(h.done)
			for range h.msgs { // let the producer see done and finish
			}
			return err
		}
		m.drain()
	}
	return nil
}
