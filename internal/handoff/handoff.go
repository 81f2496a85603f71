// Package handoff passes messages from the goroutine that reads them off the network
// to the goroutine that delivers them, in chunks of bounded memory.
//
// Writing a message into a maildir costs, in write(2), about as much CPU as reading it
// (TLS, the protocol parser, CRLF→LF). Done in one goroutine, each waits for the
// other; with a handoff, the reader (the producer) goes on with the next chunk while
// the writer (the consumer) is blocked in a write, an open or a rename. (With one Go
// processor per account, cmd/fetchsecure/procs.go, the two otherwise take turns on one
// thread, which measured cheaper than waking a second.) The chunks come from a fixed free
// list, so memory stays bounded whatever the size of a message, and a slow delivery
// stops the reading, not the other way round.
package handoff

import (
	"errors"
	"io"
)

const (
	chunks    = 4
	chunkSize = 64 << 10
)

var (
	// ErrStopped is returned by Send once the consumer has given up.
	ErrStopped = errors.New("fetch stopped by the delivery side")
	// ErrAbandoned is returned by a Message read after the consumer's callback for it
	// returned: a reader kept too long must not look like a complete message.
	ErrAbandoned = errors.New("message reader used after its callback returned")
)

// Handoff joins one producer and one consumer. T is what the producer tells about
// each message besides its bytes (a fetch.Ref).
type Handoff[T any] struct {
	msgs chan *Message[T] // the producer's messages, in order
	free chan []byte      // empty chunks
	done chan struct{}    // closed by the consumer when it stops early
}

// New returns a Handoff with its chunks allocated.
func New[T any]() *Handoff[T] {
	h := &Handoff[T]{msgs: make(chan *Message[T], 1), free: make(chan []byte, chunks),
		done: make(chan struct{})}
	for range chunks {
		h.free <- make([]byte, chunkSize)
	}
	return h
}

// Message is one message in transit; the consumer reads its bytes from it.
type Message[T any] struct {
	Meta T
	h    *Handoff[T]
	full chan []byte // chunks in order; closed at the end of the message
	err  error       // why the message ended early; written before full is closed
	cur  []byte      // the unread rest of the chunk being read
	held []byte      // that chunk, to be given back
	gone bool        // the consumer's callback for it returned
}

// Send hands one message over. fill is called with an empty chunk until it returns an
// error (io.EOF at the end of the message); it returns the bytes it put at the start
// of the chunk. Another error reaches the consumer's Read after the bytes before it.
// Send returns ErrStopped if the consumer gave up, else nil.
func (h *Handoff[T]) Send(meta T, fill func(chunk []byte) ([]byte, error)) error {
	m := &Message[T]{Meta: meta, h: h, full: make(chan []byte, chunks)}
	select {
	case h.msgs <- m:
	case <-h.done:
		return ErrStopped
	}
	defer close(m.full)
	for {
		var b []byte
		select {
		case b = <-h.free:
		case <-h.done:
			return ErrStopped
		}
		out, err := fill(b)
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

// Close tells the consumer that no more messages come. The producer calls it once,
// after its last Send.
func (h *Handoff[T]) Close() { close(h.msgs) }

// FillFrom is a fill function for Send that reads r until the chunk is half full or r
// ends: passing on every short read (go-imap hands a literal out 4 KiB at a time)
// would cost the writer a write(2) each.
func FillFrom(r io.Reader) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) {
		n := 0
		var err error
		for n < len(b)/2 && err == nil {
			var m int
			m, err = r.Read(b[n:])
			n += m
		}
		return b[:n], err
	}
}

// Read gives the consumer the message's bytes.
func (m *Message[T]) Read(p []byte) (int, error) {
	if m.gone {
		return 0, ErrAbandoned
	}
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

func (m *Message[T]) release() {
	if m.held != nil {
		m.h.free <- m.held[:cap(m.held)]
		m.cur, m.held = nil, nil
	}
}

// drain discards what the consumer left unread, so the producer can go on.
func (m *Message[T]) drain() {
	m.gone = true
	m.release()
	for b := range m.full {
		m.h.free <- b[:cap(b)]
	}
}

// Consume runs fn on each message until the producer closes the handoff or fn fails;
// it then stops the producer (its Send returns ErrStopped) and returns fn's error.
// fn need not read a message to its end: the rest is skipped.
func (h *Handoff[T]) Consume(fn func(*Message[T]) error) error {
	for m := range h.msgs {
		if err := fn(m); err != nil {
			close(h.done)
			for range h.msgs { // until the producer has seen done and closed
			}
			return err
		}
		m.drain()
	}
	return nil
}
