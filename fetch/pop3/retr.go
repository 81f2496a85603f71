package pop3

import (
	"errors"
	"fmt"
	"io"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// RetrEach retrieves messages nums in order (RFC 1939 §5 RETR), pipelined when the
// server advertises PIPELINING (RFC 2449 §6.6): up to Options.Window commands are in
// flight while replies are read in order. fn is called once per message, with a
// reader of its bytes (CRLF turned into LF, dots un-stuffed) or, when the server
// refused that message, a nil reader and the refusal. fn may stop reading early: the
// rest of the message is skipped. If fn returns an error, RetrEach reads the replies
// already asked for, so the session stays usable, and returns that error.
func (c *Client) RetrEach(nums []int, fn func(n int, r io.Reader, err error) error) error {
	return c.pipeline("RETR", nums, true, func(i int, ok bool, rest []byte) error {
		if !ok {
			return fn(nums[i], nil, classify(newError("RETR", rest), fail.Temporary))
		}
		c.gen++
		return fn(nums[i], &msgReader{c: c, gen: c.gen}, nil)
	})
}

// Retr streams message n into w and returns the number of bytes written.
func (c *Client) Retr(n int, w io.Writer) (int64, error) {
	var written int64
	err := c.RetrEach([]int{n}, func(_ int, r io.Reader, err error) error {
		if err == nil {
			written, err = io.Copy(w, r)
		}
		return err
	})
	return written, err
}

// DeleAll marks messages nums as deleted, pipelined like RetrEach. Every number is
// tried; the refusals are returned together.
func (c *Client) DeleAll(nums []int) error {
	var errs []error
	err := c.pipeline("DELE", nums, false, func(i int, ok bool, rest []byte) error {
		if !ok {
			e := classify(newError("DELE", rest), fail.Temporary)
			errs = append(errs, fmt.Errorf("message %d: %w", nums[i], e))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(errs...)
}

// pipeline sends "verb n" for each of nums, keeping at most a window of commands
// unanswered, and calls reply for each status line in order; a multi-line reply's body
// is then read by reply through c.dot, and whatever it left is skipped. After reply
// returns an error no more commands are sent; the outstanding replies are read and the
// error is returned.
func (c *Client) pipeline(verb string, nums []int, multi bool, reply func(i int, ok bool, rest []byte) error) error {
	if err := c.usable(); err != nil {
		return err
	}
	defer c.idle()
	win := 1
	if c.Has("PIPELINING") {
		win = c.opts.Window
	}
	var first error
	sent := 0
	for got := 0; got < sent || first == nil && got < len(nums); got++ {
		if first == nil && sent-got <= win/2 {
			if err := c.sendNums(verb, nums[sent:min(len(nums), got+win)]); err != nil {
				return err
			}
			sent = min(len(nums), got+win)
		}
		ok, rest, err := c.readStatus()
		if err != nil {
			return err
		}
		if multi && ok {
			c.dot.reset(c.br)
		}
		if first == nil {
			first = reply(got, ok, rest)
		}
		if err := c.skipBody(multi && ok); err != nil {
			return err
		}
	}
	return first
}

// sendNums sends one "verb n" line per number in a single write.
func (c *Client) sendNums(verb string, nums []int) error {
	for _, n := range nums {
		if err := c.sendNum(verb, n); err != nil {
			return err
		}
	}
	return c.flush()
}

// skipBody reads the rest of a multi-line body and invalidates its reader.
func (c *Client) skipBody(multi bool) error {
	if !multi {
		return nil
	}
	c.gen++
	if err := c.dot.discard(); err != nil {
		return c.fatal(fail.Hint(fail.Temporary, fmt.Errorf("pop3 read message: %w", err),
			"the connection failed; fetchsecure will try again"))
	}
	return nil
}

// msgReader is the reader handed to RetrEach's callback. It fails once the callback
// returned, so that a reader kept too long cannot read the next message's bytes.
type msgReader struct {
	c   *Client
	gen uint64
}

func (m *msgReader) Read(p []byte) (int, error) {
	if m.gen != m.c.gen {
		return 0, errAbandoned
	}
	n, err := m.c.dot.Read(p)
	return n, m.c.readErr(err)
}

// WriteTo lets io.Copy use the client's buffer instead of allocating one per message.
func (m *msgReader) WriteTo(w io.Writer) (int64, error) {
	if m.gen != m.c.gen {
		return 0, errAbandoned
	}
	n, err := m.c.dot.writeTo(w, m.c.copyBuf)
	return n, m.c.readErr(err)
}

// readErr turns a failure to read a message from the server into a session failure.
func (c *Client) readErr(err error) error {
	if err == nil || err == io.EOF || c.dot.err == nil {
		return err // io.EOF, or the writer's error
	}
	return c.fatal(fail.Hint(fail.Temporary, fmt.Errorf("pop3 read message: %w", err),
		"the connection failed; fetchsecure will try again"))
}
