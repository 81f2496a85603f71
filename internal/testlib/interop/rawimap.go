package interop

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// ReadIMAP returns BODY[] of every message in folder, in UID order and LF form, read
// with a parser of its own rather than go-imap's: it is the oracle the tests compare
// fetchsecure's deliveries with, and it takes a literal8 ("~{n}", RFC 3516) where a
// literal is expected, as Cyrus sends one for a message holding NUL.
func ReadIMAP(t testing.TB, port int, ca *testlib.CA, user, password, folder string) [][]byte {
	t.Helper()
	raw := dialRaw(t, port, ca)
	defer raw.conn.Close()
	raw.cmd("LOGIN %s %s", quote(user), quote(password))
	raw.cmd("EXAMINE %s", quote(folder))
	return raw.cmd("UID FETCH 1:* (BODY.PEEK[])")
}

// ReadFlags returns the FETCH FLAGS response line of every message in folder.
func ReadFlags(t testing.TB, port int, ca *testlib.CA, user, password, folder string) []string {
	t.Helper()
	raw := dialRaw(t, port, ca)
	defer raw.conn.Close()
	raw.cmd("LOGIN %s %s", quote(user), quote(password))
	raw.cmd("EXAMINE %s", quote(folder))
	raw.cmd("UID FETCH 1:* (FLAGS)")
	var out []string
	for _, l := range raw.untagged {
		if strings.Contains(l, " FETCH ") {
			out = append(out, l)
		}
	}
	return out
}

type rawIMAP struct {
	t        testing.TB
	conn     net.Conn
	r        *bufio.Reader
	tag      int
	greeting string
	untagged []string // the untagged responses of the last command
}

// dialRaw connects to 127.0.0.1:port, over TLS if ca is not nil, and reads the
// greeting.
func dialRaw(t testing.TB, port int, ca *testlib.CA) *rawIMAP {
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
		t.Fatalf("IMAP port %d: %v", port, err)
	}
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	raw := &rawIMAP{t: t, conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}
	raw.greeting = strings.TrimRight(raw.line(), "\r\n")
	return raw
}

var literalAtEnd = regexp.MustCompile(`~?\{(\d+)\}\r\n$`)

// cmd sends a command, fails the test unless it ends in OK, and returns the literals
// the server sent meanwhile, LF for CRLF.
func (c *rawIMAP) cmd(format string, args ...any) [][]byte {
	c.t.Helper()
	c.tag++
	tag := fmt.Sprintf("r%d", c.tag)
	if _, err := fmt.Fprintf(c.conn, tag+" "+format+"\r\n", args...); err != nil {
		c.t.Fatalf("IMAP write: %v", err)
	}
	var lits [][]byte
	c.untagged = nil
	for {
		line := c.line()
		if strings.HasPrefix(line, "* ") {
			c.untagged = append(c.untagged, strings.TrimRight(line, "\r\n"))
		}
		if m := literalAtEnd.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			b := make([]byte, n)
			if _, err := io.ReadFull(c.r, b); err != nil {
				c.t.Fatalf("IMAP literal: %v", err)
			}
			lits = append(lits, testlib.ToLF(b))
			continue // the rest of the response follows the literal
		}
		if rest, ok := strings.CutPrefix(line, tag+" "); ok {
			if !strings.HasPrefix(rest, "OK") {
				c.t.Fatalf("IMAP %s: %s", strings.Fields(format)[0], strings.TrimSpace(rest))
			}
			return lits
		}
	}
}

func (c *rawIMAP) line() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("IMAP read: %v", err)
	}
	return l
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
