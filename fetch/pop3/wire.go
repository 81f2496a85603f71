package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// checkArg refuses an argument that would end the command line early or smuggle a
// second command (CR, LF) or that servers written in C would cut short (NUL).
func checkArg(arg string) error {
	if strings.ContainsAny(arg, "\r\n\x00") {
		return fail.Errorf(fail.Config, "pop3: an argument contains CR, LF or NUL; refusing to send it")
	}
	return nil
}

// send buffers one command line; flush sends it. Arguments are checked first, so a
// refused argument sends nothing.
func (c *Client) send(verb string, args ...string) error {
	for _, a := range args {
		if err := checkArg(a); err != nil {
			return err
		}
	}
	c.scratch = append(c.scratch[:0], verb...)
	for _, a := range args {
		if len(c.scratch) > 0 {
			c.scratch = append(c.scratch, ' ')
		}
		c.scratch = append(c.scratch, a...)
	}
	c.traceCmd(verb, args)
	return c.write()
}

// sendNum buffers "verb n" without allocating.
func (c *Client) sendNum(verb string, n int) error {
	c.scratch = strconv.AppendInt(append(append(c.scratch[:0], verb...), ' '), int64(n), 10)
	if c.opts.Trace != nil {
		fmt.Fprintf(c.opts.Trace, "C: %s\n", c.scratch)
	}
	return c.write()
}

func (c *Client) write() error {
	c.wait()
	c.scratch = append(c.scratch, '\r', '\n')
	if _, err := c.bw.Write(c.scratch); err != nil {
		return c.fatal(fail.Wrap(fail.Temporary, fmt.Errorf("pop3 send: %w", err)))
	}
	return nil
}

func (c *Client) flush() error {
	c.wait()
	if err := c.bw.Flush(); err != nil {
		return c.fatal(fail.Wrap(fail.Temporary, fmt.Errorf("pop3 send: %w", err)))
	}
	return nil
}

// traceCmd writes a command to the trace with its secrets replaced by ***.
func (c *Client) traceCmd(verb string, args []string) {
	if c.opts.Trace == nil {
		return
	}
	shown := len(args)
	switch verb {
	case "PASS", "": // "" is a SASL response line
		shown = 0
	case "AUTH", "APOP":
		shown = min(shown, 1)
	}
	line := strings.Join(append([]string{verb}, args[:shown]...), " ")
	if shown < len(args) || verb == "" {
		line = strings.TrimLeft(line+" ***", " ")
	}
	fmt.Fprintf(c.opts.Trace, "C: %s\n", line)
}

// readLine reads one reply line, bounded by MaxLine, and returns it without its line
// ending as a slice of the read buffer, valid until the next read.
func (c *Client) readLine() ([]byte, error) {
	c.wait()
	line, err := c.br.ReadSlice('\n')
	if err == nil {
		line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	}
	if err == bufio.ErrBufferFull || len(line) > c.opts.MaxLine {
		return nil, c.fatal(fail.Errorf(fail.Protocol,
			"%w: reply line longer than %d bytes", errProtocol, c.opts.MaxLine))
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, c.fatal(fail.Hint(fail.Temporary, fmt.Errorf("pop3 read reply: %w", err),
			"the connection failed; fetchsecure will try again"))
	}
	if c.opts.Trace != nil {
		fmt.Fprintf(c.opts.Trace, "S: %s\n", clean(line))
	}
	return line, nil
}

// readStatus flushes pending commands and reads one status line.
func (c *Client) readStatus() (ok bool, rest []byte, err error) {
	if c.bw.Buffered() > 0 {
		if err := c.flush(); err != nil {
			return false, nil, err
		}
	}
	line, err := c.readLine()
	if err != nil {
		return false, nil, err
	}
	ok, rest, err = parseStatus(line)
	if err != nil {
		return false, nil, c.fatal(fail.Wrap(fail.Protocol, err))
	}
	return ok, rest, nil
}

// cmd sends one command and reads its status line; a -ERR becomes an error of kind
// dflt unless its response code says otherwise.
func (c *Client) cmd(dflt fail.Kind, verb string, args ...string) (rest []byte, err error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if err := c.send(verb, args...); err != nil {
		return nil, err
	}
	ok, rest, err := c.readStatus()
	if err == nil && !ok {
		err = classify(newError(verb, rest), dflt)
	}
	return rest, err
}

// readMulti reads the lines of a multi-line reply (RFC 1939 §3) up to the "." line,
// un-stuffing leading dots, and calls fn for each. More than limit lines is a protocol
// error. After an error from fn the rest is still read, so the session stays in step.
func (c *Client) readMulti(limit int, fn func(line []byte) error) error {
	var first error
	for n := 0; ; n++ {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if len(line) > 0 && line[0] == '.' {
			if len(line) == 1 {
				return first
			}
			line = line[1:]
		}
		if n == limit {
			return c.fatal(fail.Errorf(fail.Protocol, "%w: more than %d lines in a reply", errProtocol, limit))
		}
		if first == nil {
			first = fn(line)
		}
	}
}
