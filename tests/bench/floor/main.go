// Command floor is the benchmark's floor (tests/bench): the least any client must do
// to move a mailbox over TLS. No IMAP library, no parsing beyond finding literals,
// nothing written: one `UID FETCH 1:* BODY.PEEK[]` read into a large bufio.Reader and
// skipped with Discard, or, for POP3, every RETR pipelined and read to its dot line.
// With -maildir, the IMAP floor keeps every message durably instead (see durable).
// It prints "floor: N messages, B bytes" for the harness to check.
//
//	BENCH_FLOOR_PASSWORD=... floor -proto imap -addr 127.0.0.1:993 -ca ca.pem -user bench
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	passwordEnv = "BENCH_FLOOR_PASSWORD"
	bufferSize  = 256 << 10 // many TLS records (16 KiB each) per read
	window      = 64        // POP3 commands in flight
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	proto := fs.String("proto", "imap", "imap or pop3")
	addr := fs.String("addr", "", "host:port speaking implicit TLS")
	caFile := fs.String("ca", "", "CA certificate (PEM)")
	users := fs.String("user", "", "user name; several, comma-separated, are fetched in parallel")
	maildir := fs.String("maildir", "", "IMAP, one user: write the messages durably into this maildir")
	_ = fs.Parse(args)
	start := time.Now()
	names := strings.Split(*users, ",")
	conns := make([]*floorConn, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, user := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conns[i], errs[i] = fetch(*proto, *addr, *caFile, user, *maildir)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 1
	}
	var msgs int
	var size int64
	for _, c := range conns {
		msgs, size = msgs+c.msgs, size+c.bytes
	}
	fmt.Printf("floor: %d messages, %d bytes in %v\n", msgs, size, time.Since(start).Round(time.Millisecond))
	return 0
}

// fetch reads every message of user's INBOX over one connection.
func fetch(proto, addr, caFile, user, maildir string) (*floorConn, error) {
	conn, err := floorDial(addr, caFile)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	c := &floorConn{r: bufio.NewReaderSize(conn, bufferSize), w: conn}
	if maildir != "" {
		if c.sink, err = newDurable(maildir); err != nil {
			return nil, err
		}
	}
	pass := os.Getenv(passwordEnv)
	if proto == "pop3" {
		return c, c.pop3(user, pass)
	}
	return c, c.imap(user, pass)
}

func floorDial(addr, caFile string) (*tls.Conn, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no certificate in " + caFile)
	}
	return tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
}

type floorConn struct {
	r     *bufio.Reader
	w     io.Writer
	msgs  int
	bytes int64
	last  []byte   // the last status line
	sink  *durable // nil: messages are skipped
}

// line returns the next line without CRLF; it stays valid until the next read.
func (c *floorConn) line() ([]byte, error) {
	l, err := c.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, errors.New("response line longer than the buffer")
	}
	return bytes.TrimRight(l, "\r\n"), err
}

func (c *floorConn) send(s string) error {
	_, err := io.WriteString(c.w, s+"\r\n")
	return err
}

// imap logs in, examines INBOX and streams every message in one UID FETCH.
func (c *floorConn) imap(user, pass string) error {
	if _, err := c.line(); err != nil { // greeting
		return err
	}
	steps := []string{"a LOGIN " + strconv.Quote(user) + " " + strconv.Quote(pass), "b EXAMINE INBOX",
		"c UID FETCH 1:* BODY.PEEK[]", "d LOGOUT"}
	for _, cmd := range steps {
		if err := c.send(cmd); err != nil {
			return err
		}
		if err := c.imapUntilTagged(cmd[:2]); err != nil {
			return fmt.Errorf("%s: %w", cmd[2:], err)
		}
	}
	if c.sink != nil {
		return c.sink.finish()
	}
	return nil
}

// imapUntilTagged reads responses until the one tagged tag, consuming every literal
// ({n} at the end of a line) as literal says.
func (c *floorConn) imapUntilTagged(tag string) error {
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		if n, ok := literalSize(l); ok {
			if err := c.literal(n); err != nil {
				return err
			}
			c.msgs++
			c.bytes += n
			continue // the rest of the response follows the literal
		}
		if bytes.HasPrefix(l, []byte(tag)) {
			if !bytes.HasPrefix(l[len(tag):], []byte("OK")) {
				return fmt.Errorf("server says %q", l)
			}
			return nil
		}
	}
}

// literal consumes a literal of n bytes: skipped, or kept durably.
func (c *floorConn) literal(n int64) error {
	if c.sink != nil {
		return c.sink.message(c.r, n)
	}
	_, err := c.r.Discard(int(n))
	return err
}

// literalSize parses "{n}" at the end of a line.
func literalSize(l []byte) (int64, bool) {
	if len(l) < 3 || l[len(l)-1] != '}' {
		return 0, false
	}
	i := bytes.LastIndexByte(l, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(l[i+1:len(l)-1]), 10, 64)
	return n, err == nil
}

// pop3 logs in and RETRs every message, the commands pipelined (Dovecot offers
// PIPELINING, RFC 2449), reading each reply to its terminating dot line.
func (c *floorConn) pop3(user, pass string) error {
	if _, err := c.line(); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	for _, cmd := range []string{"USER " + user, "PASS " + pass, "STAT"} {
		if err := c.send(cmd); err != nil {
			return err
		}
		if err := c.pop3OK(); err != nil {
			return fmt.Errorf("%s: %w", cmd[:4], err)
		}
	}
	var count int
	if _, err := fmt.Sscanf(string(c.last), "+OK %d", &count); err != nil {
		return fmt.Errorf("STAT reply %q", c.last)
	}
	// At most window commands in flight, as mpop and fetchsecure do: Dovecot stops
	// reading while its output waits, and a client that sends ten thousand commands at
	// once can fill its input buffer, which ends the session.
	inFlight := make(chan struct{}, window)
	errc := make(chan error, 1)
	go func() { errc <- c.pop3Send(count, inFlight) }()
	for i := range count {
		if err := c.pop3Message(); err != nil {
			return fmt.Errorf("message %d of %d (%d bytes read): %w", i+1, count, c.bytes, err)
		}
		<-inFlight
	}
	if err := <-errc; err != nil {
		return err
	}
	// QUIT only now, not pipelined behind the last RETR: Dovecot 2.3 ends the session
	// at QUIT even if the last message is still in its output buffer (a slow reader),
	// and the client then reads EOF inside that message.
	if err := c.send("QUIT"); err != nil {
		return err
	}
	return c.pop3OK()
}

// pop3Send writes RETR 1..count, flushing whenever the window is full.
func (c *floorConn) pop3Send(count int, inFlight chan struct{}) error {
	w := bufio.NewWriter(c.w)
	for i := 1; i <= count; i++ {
		select {
		case inFlight <- struct{}{}:
		default:
			if err := w.Flush(); err != nil {
				return err
			}
			inFlight <- struct{}{}
		}
		fmt.Fprintf(w, "RETR %d\r\n", i)
	}
	return w.Flush()
}

func (c *floorConn) pop3OK() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	c.last = append(c.last[:0], l...)
	if !bytes.HasPrefix(l, []byte("+OK")) {
		return fmt.Errorf("server says %q", l)
	}
	return nil
}

func (c *floorConn) pop3Message() error {
	if err := c.pop3OK(); err != nil {
		return fmt.Errorf("RETR: %w", err)
	}
	for atStart := true; ; {
		l, err := c.r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		c.bytes += int64(len(l))
		if atStart && (string(l) == ".\r\n" || string(l) == ".\n") {
			c.msgs++
			return nil
		}
		atStart = err == nil // a line longer than the buffer comes in pieces
	}
}
