package pop3

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// maxMessages bounds message numbers and listing lengths. STAT, LIST and UIDL come
// from the server and are never trusted for allocation (CVE-2002-0146): slices grow
// as lines actually arrive, and a number beyond this is a protocol error, so a
// hostile listing costs at most about 150 MB.
const maxMessages = 1 << 20

// maxKeptUIDL bounds the unique-id kept from a UIDL line. RFC 1939 §7 allows 70
// characters; a longer one is kept just long enough to be seen as invalid.
const maxKeptUIDL = 72

// Entry is one line of a LIST or UIDL listing (RFC 1939 §5, §7).
type Entry struct {
	Num  int    // message number in this session
	Size int64  // LIST: size in octets; UIDL: -1
	UIDL string // UIDL: the unique-id as sent (not validated; cut after 72 bytes); LIST: ""
}

// Stat returns the number of messages and their total size (RFC 1939 §5).
func (c *Client) Stat() (count int, size int64, err error) {
	defer c.idle()
	rest, err := c.cmd(fail.Protocol, "STAT")
	if err != nil {
		return 0, 0, err
	}
	n, s, ok := twoNumbers(rest)
	if !ok || n > maxMessages {
		return 0, 0, fail.Errorf(fail.Protocol, "%w: bad STAT reply %q", errProtocol, clean(rest))
	}
	return int(n), s, nil
}

// List returns the scan listing of all messages (RFC 1939 §5), in server order.
func (c *Client) List() ([]Entry, error) {
	return c.listing("LIST", parseSize)
}

// UIDL returns the unique-id listing of all messages (RFC 1939 §7), in server order.
// A server without UIDL answers with an *Error.
func (c *Client) UIDL() ([]Entry, error) {
	return c.listing("UIDL", parseUIDL)
}

// listing runs LIST or UIDL without argument and parses each line; a repeated
// message number or a malformed line is a protocol error.
func (c *Client) listing(verb string, parse func(line []byte) (Entry, bool)) ([]Entry, error) {
	defer c.idle()
	if _, err := c.cmd(fail.Protocol, verb); err != nil {
		return nil, err
	}
	var out []Entry
	seen := make(map[int]bool)
	err := c.readMulti(maxMessages, func(line []byte) error {
		e, ok := parse(line)
		if !ok || seen[e.Num] {
			return fail.Errorf(fail.Protocol, "%w: bad %s line %q", errProtocol, verb, clean(line))
		}
		seen[e.Num] = true
		out = append(out, e)
		return nil
	})
	return out, err
}

// ListOne returns the size of message n.
func (c *Client) ListOne(n int) (int64, error) {
	e, err := c.one("LIST", n, parseSize)
	return e.Size, err
}

// UIDLOne returns the unique-id of message n.
func (c *Client) UIDLOne(n int) (string, error) {
	e, err := c.one("UIDL", n, parseUIDL)
	return e.UIDL, err
}

func (c *Client) one(verb string, n int, parse func([]byte) (Entry, bool)) (Entry, error) {
	defer c.idle()
	rest, err := c.cmd(fail.Protocol, verb, strconv.Itoa(n))
	if err != nil {
		return Entry{}, err
	}
	e, ok := parse(rest)
	if !ok || e.Num != n {
		return Entry{}, fail.Errorf(fail.Protocol, "%w: bad %s reply %q", errProtocol, verb, clean(rest))
	}
	return e, nil
}

// parseSize parses "n size" (RFC 1939 §5; anything after the size is ignored).
func parseSize(line []byte) (Entry, bool) {
	n, s, ok := twoNumbers(line)
	return Entry{Num: int(n), Size: s}, ok && n >= 1 && n <= maxMessages
}

// parseUIDL parses "n unique-id". The unique-id is checked by the Source, not here.
func parseUIDL(line []byte) (Entry, bool) {
	num, uid, found := bytes.Cut(line, []byte{' '})
	n, ok := number(num)
	if !found || !ok || n < 1 || n > maxMessages {
		return Entry{}, false
	}
	return Entry{Num: int(n), Size: -1, UIDL: string(uid[:min(len(uid), maxKeptUIDL)])}, true
}

// twoNumbers parses "a b [...]".
func twoNumbers(line []byte) (a, b int64, ok bool) {
	fields := bytes.Fields(line)
	if len(fields) < 2 {
		return 0, 0, false
	}
	a, ok1 := number(fields[0])
	b, ok2 := number(fields[1])
	return a, b, ok1 && ok2
}

// number parses a decimal number of at most 18 digits: no sign, no overflow.
func number(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// Dele marks message n as deleted (RFC 1939 §5); it is removed only at QUIT.
func (c *Client) Dele(n int) error {
	return c.DeleAll([]int{n})
}

// Rset unmarks all messages marked as deleted (RFC 1939 §5).
func (c *Client) Rset() error {
	defer c.idle()
	_, err := c.cmd(fail.Protocol, "RSET")
	return err
}

// Noop does nothing but get a +OK (RFC 1939 §5).
func (c *Client) Noop() error {
	defer c.idle()
	_, err := c.cmd(fail.Protocol, "NOOP")
	return err
}

// Quit ends the session (RFC 1939 §6). In the TRANSACTION state the server then
// removes the messages marked as deleted, and a nil error means it says it did. The
// connection is closed in every case.
func (c *Client) Quit() error {
	defer c.conn.Close()
	defer c.idle()
	if err := c.usable(); err != nil {
		return err
	}
	_, err := c.cmd(fail.Temporary, "QUIT")
	if c.broken == nil {
		c.broken = errors.New("the session ended with QUIT")
	}
	var perr *Error
	switch {
	case errors.As(err, &perr):
		return fail.Hint(fail.Temporary, fmt.Errorf("QUIT: %w", err),
			"the server may not have removed the messages marked for deletion; they are deleted next time")
	case err != nil:
		return fail.Hint(fail.Temporary, fmt.Errorf("QUIT: %w", err),
			"the connection failed during QUIT, so the deletions may or may not be final; the next run finds out")
	}
	return nil
}
