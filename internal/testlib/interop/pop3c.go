package interop

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// POP3Client is a test's own minimal POP3 session (RFC 1939) with a server of this
// package, to read mailboxes back and see capabilities independently of fetchsecure.
type POP3Client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	// Greeting is the server's first line.
	Greeting string
}

// DialPOP3S connects over implicit TLS to 127.0.0.1:port, trusting ca, and reads the
// greeting.
func DialPOP3S(t testing.TB, port int, ca *testlib.CA) *POP3Client {
	t.Helper()
	return dialPOP3(t, port, ca)
}

// dialPOP3 connects over TLS if ca is not nil, in plaintext otherwise.
func dialPOP3(t testing.TB, port int, ca *testlib.CA) *POP3Client {
	t.Helper()
	d := &net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	var err error
	if ca != nil {
		conn, err = tls.DialWithDialer(d, "tcp", testlib.Addr(port), &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
	} else {
		conn, err = d.Dial("tcp", testlib.Addr(port))
	}
	if err != nil {
		t.Fatalf("POP3S port %d: %v", port, err)
	}
	c := &POP3Client{t: t, conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	c.Greeting = strings.TrimRight(c.line(), "\r\n")
	if !strings.HasPrefix(c.Greeting, "+OK") {
		t.Fatalf("POP3 greeting %q", c.Greeting)
	}
	return c
}

func (c *POP3Client) line() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("POP3 read: %v", err)
	}
	return l
}

// Cmd sends a command and returns the status line, "+OK ..." or "-ERR ...".
func (c *POP3Client) Cmd(format string, args ...any) string {
	c.t.Helper()
	if _, err := fmt.Fprintf(c.conn, format+"\r\n", args...); err != nil {
		c.t.Fatalf("POP3 write: %v", err)
	}
	return strings.TrimRight(c.line(), "\r\n")
}

// Must sends a command that must succeed.
func (c *POP3Client) Must(format string, args ...any) string {
	c.t.Helper()
	st := c.Cmd(format, args...)
	if !strings.HasPrefix(st, "+OK") {
		c.t.Fatalf("POP3 %s: %s", strings.Fields(format)[0], st)
	}
	return st
}

// multi reads a multi-line response after +OK, undoing dot-stuffing (RFC 1939 §3).
func (c *POP3Client) multi() []byte {
	c.t.Helper()
	var b bytes.Buffer
	for {
		l, err := c.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			b.Write(l)
			continue
		}
		if err != nil {
			c.t.Fatalf("POP3 read: %v", err)
		}
		if string(l) == ".\r\n" {
			return b.Bytes()
		}
		// Only the first byte of a line may be a stuffed dot; a line continued from a
		// full buffer is not a line start.
		if b.Len() == 0 || b.Bytes()[b.Len()-1] == '\n' {
			l = bytes.TrimPrefix(l, []byte("."))
		}
		b.Write(l)
	}
}

// Login sends USER and PASS.
func (c *POP3Client) Login(user, password string) {
	c.t.Helper()
	c.Must("USER %s", user)
	c.Must("PASS %s", password)
}

// Capa returns the CAPA listing (RFC 2449), nil if the server answers -ERR.
func (c *POP3Client) Capa() []string {
	c.t.Helper()
	if !strings.HasPrefix(c.Cmd("CAPA"), "+OK") {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(c.multi()), "\r\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Messages RETRs every message, CRLF turned into LF.
func (c *POP3Client) Messages() [][]byte {
	c.t.Helper()
	var n int
	if _, err := fmt.Sscanf(c.Must("STAT"), "+OK %d", &n); err != nil {
		c.t.Fatalf("STAT: %v", err)
	}
	out := make([][]byte, 0, n)
	for i := 1; i <= n; i++ {
		c.Must("RETR %d", i)
		out = append(out, testlib.ToLF(c.multi()))
	}
	return out
}

// Quit ends the session, committing deletions.
func (c *POP3Client) Quit() {
	c.Cmd("QUIT")
	c.conn.Close()
}

// UIDLs returns the unique-id listing (RFC 1939 §7) in message order.
func (c *POP3Client) UIDLs() []string {
	c.t.Helper()
	c.Must("UIDL")
	var out []string
	for _, l := range strings.Split(string(c.multi()), "\r\n") {
		if f := strings.Fields(l); len(f) == 2 {
			out = append(out, f[1])
		}
	}
	return out
}

// SharedUIDLs returns the positions (0-based, in mailbox order) of the messages of
// user's maildrop whose unique-id an earlier message already has: RFC 1939 §7 forbids
// it, but popa3d derives the unique-id from a few header fields, so two messages
// with the same Message-ID and Date share one.
func SharedUIDLs(t testing.TB, port int, ca *testlib.CA, user, password string) []int {
	t.Helper()
	c := DialPOP3S(t, port, ca)
	defer c.Quit()
	c.Login(user, password)
	seen := map[string]bool{}
	var out []int
	for i, u := range c.UIDLs() {
		if seen[u] {
			out = append(out, i)
		}
		seen[u] = true
	}
	return out
}
