// Package pop3 is a POP3 client (RFC 1939, with RFC 2449 CAPA and PIPELINING, RFC 2595
// STLS, RFC 5034 AUTH, RFC 6856 UTF8) and a fetch.Source on top of it.
//
// A [Client] runs on a net.Conn that package tunnel dialed; it never dials. It streams
// each message through a line-based dot-decoder straight from a large read buffer, so a
// message of any size costs constant memory, and it pipelines RETR and DELE when the
// server advertises PIPELINING, because without it every message waits a round trip
// (about 40 ms on Cyrus and Courier, for their delayed ACKs).
//
// Security policy lives here too, because this is the last code that sees the password:
// with [Options.StartTLS] set, a server that does not offer STLS is refused (never a
// plaintext fallback, RFC 2595 §4); without TLS, USER/PASS and AUTH PLAIN are refused
// unless the caller vouches for the stream with [Options.PlaintextOK].
//
// A session that fails half-way is dropped without QUIT, so the server deletes nothing
// (RFC 1939 §6: only QUIT enters the UPDATE state).
package pop3

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Options configure a Client. The zero value is the safe default: no STLS, no password
// over a plaintext stream, AUTH PLAIN when offered, else USER/PASS.
type Options struct {
	// StartTLS, when non-nil, makes STLS mandatory (RFC 2595): a server that does not
	// advertise it or refuses it is a fail.Security error. Set ServerName (or a pin in
	// VerifyConnection) in it; package tunnel builds it.
	StartTLS *tls.Config
	// PlaintextOK says the caller vouches for a stream that is not TLS as seen from
	// here: an SSH tunnel or loopback. Without it USER/PASS and AUTH PLAIN are refused
	// unless the stream is TLS (STLS, or a conn with a completed TLS handshake).
	PlaintextOK bool
	// Auth is "auto" (or ""): AUTH PLAIN if the server offers SASL PLAIN, else
	// USER/PASS; "plain": AUTH PLAIN only; "login" or "user": USER/PASS only; "apop":
	// APOP only (RFC 1939 §7, needs a timestamp in the greeting; APOP sends no password,
	// so it is allowed on a plaintext stream); "oauth2": AUTH OAUTHBEARER or XOAUTH2
	// with the password argument of Login as the access token.
	Auth string
	// NoUIDL decides what a Source does when the server has no UIDL: "" or "refuse"
	// (a fail.Protocol error), or "fetch-all-and-delete" (list every message under a
	// synthetic key; the caller guarantees keep = false).
	NoUIDL string
	// Trace, if set, receives the protocol dialogue ("C: RETR 1", "S: +OK"), with
	// passwords and SASL data shown as *** and message bodies left out.
	Trace io.Writer
	// Logger receives warnings (skipped messages, a refused UTF8); nil means
	// slog.Default().
	Logger *slog.Logger
	// MaxLine bounds a reply line (status, CAPA, LIST, UIDL lines) without its CRLF;
	// a longer line is a protocol error. 0 means 8 KiB. Message lines are not bounded.
	MaxLine int
	// Window is the number of RETR or DELE commands kept in flight when the server
	// advertises PIPELINING; 0 means 32.
	Window int
	// GreetingTimeout bounds New as a whole (greeting, CAPA, STLS), however slowly a
	// server trickles bytes; the inactivity watchdog bounds each wait only. 0 means
	// DefaultGreetingTimeout.
	GreetingTimeout time.Duration
}

// DefaultGreetingTimeout is the default of Options.GreetingTimeout: a greeting and a
// TLS handshake take well under a second; a server that needs minutes is stalling.
const DefaultGreetingTimeout = 2 * time.Minute

// readBufSize is the size of the read buffer the dot-decoder works in.
const readBufSize = 64 << 10

// Client is one POP3 session. It is not safe for concurrent use, except Close.
type Client struct {
	conn      net.Conn          // the current stream: the tls.Conn after STLS
	tc        fetch.TimeoutConn // the timeout control of the original conn, or nil
	br        *bufio.Reader
	bw        *bufio.Writer
	opts      Options
	log       *slog.Logger
	caps      map[string]string // CAPA tags (upper case) → arguments, nil if CAPA failed
	timestamp string            // the APOP timestamp of the greeting, "<...>", or ""
	tls       bool              // the stream is TLS
	authed    bool
	armed     bool
	broken    error // sticky: the session cannot continue
	dot       dotReader
	copyBuf   []byte // dotReader.writeTo's buffer, allocated once
	scratch   []byte // command line being built
	gen       uint64 // counts messages handed out, to invalidate stale readers
}

// New starts a session on conn: it reads the greeting, asks for the capabilities,
// runs STLS when opts.StartTLS is set and sends UTF8 when offered (RFC 6856, so that
// Courier does not rewrite 8-bit mail). On error conn is closed.
func New(conn net.Conn, opts Options) (*Client, error) {
	if opts.MaxLine <= 0 {
		opts.MaxLine = 8 << 10
	}
	if opts.Window <= 0 {
		opts.Window = 32
	}
	c := &Client{conn: conn, opts: opts, log: opts.Logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.tc, _ = conn.(fetch.TimeoutConn)
	c.br = newReader(conn, opts.MaxLine)
	c.bw = newWriter(conn)
	c.copyBuf = make([]byte, 32<<10)
	err := c.startInTime()
	c.idle()
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// startInTime runs start within GreetingTimeout.
func (c *Client) startInTime() error {
	limit := c.opts.GreetingTimeout
	if limit <= 0 {
		limit = DefaultGreetingTimeout
	}
	conn := c.conn // the transport: closing it ends a TLS session on it too
	timer := time.AfterFunc(limit, func() { conn.Close() })
	err := c.start()
	if !timer.Stop() {
		return fail.Errorf(fail.Temporary, "the server did not finish its greeting and STLS within %s", limit)
	}
	return err
}

// start runs the session up to the authentication.
func (c *Client) start() error {
	if err := c.greeting(); err != nil {
		return err
	}
	_, c.tls = c.TLSState() // implicit TLS, handshake done by the greeting
	if err := c.capa(); err != nil {
		return err
	}
	if c.opts.StartTLS != nil && !c.tls {
		if err := c.startTLS(); err != nil {
			return err
		}
	}
	return c.utf8()
}

// newReader returns the read buffer: large, because the dot-decoder works in it
// line by line, and able to hold a reply line of maxLine bytes and its CRLF.
func newReader(conn net.Conn, maxLine int) *bufio.Reader {
	return bufio.NewReaderSize(conn, max(readBufSize, maxLine+2))
}

func newWriter(conn net.Conn) *bufio.Writer { return bufio.NewWriterSize(conn, 4<<10) }

// greeting reads the server's first line and keeps its APOP timestamp.
func (c *Client) greeting() error {
	ok, rest, err := c.readStatus()
	if err != nil {
		return err
	}
	if !ok {
		return classify(newError("the connection", rest), fail.Temporary)
	}
	c.timestamp = apopTimestamp(rest)
	return nil
}

// apopTimestamp returns the msg-id "<...>" in a greeting (RFC 1939 §7), or "".
func apopTimestamp(text []byte) string {
	start := -1
	for i, b := range text {
		switch {
		case b == '<':
			start = i
		case b == '>' && start >= 0 && i > start+1:
			return string(text[start : i+1])
		case b <= ' ' || b >= 0x7f:
			start = -1
		}
	}
	return ""
}

// Has reports whether the server advertised the CAPA tag (RFC 2449 §5), e.g. "UIDL".
// A server without CAPA has no tags.
func (c *Client) Has(tag string) bool {
	_, ok := c.caps[strings.ToUpper(tag)]
	return ok
}

// TLS reports whether the stream is TLS (implicit, or after STLS).
func (c *Client) TLS() bool { return c.tls }

// TLSState returns the state of the TLS session this client runs, if it set one up
// (STLS) or was given a conn that reports one; ok is false otherwise.
func (c *Client) TLSState() (state tls.ConnectionState, ok bool) {
	s, ok := c.conn.(interface{ ConnectionState() tls.ConnectionState })
	if !ok {
		return tls.ConnectionState{}, false
	}
	state = s.ConnectionState()
	return state, state.HandshakeComplete
}

// Close drops the connection without QUIT, so that the server deletes nothing.
func (c *Client) Close() error {
	return c.conn.Close()
}

// fatal marks the session unusable and drops the connection (no QUIT).
func (c *Client) fatal(err error) error {
	if c.broken == nil {
		c.broken = err
		c.conn.Close()
	}
	return err
}

// usable returns the error that ended the session, if any.
func (c *Client) usable() error {
	if c.broken != nil {
		return fmt.Errorf("pop3 session already failed: %w", c.broken)
	}
	return nil
}

// wait arms the conn's inactivity timeout: a reply is expected.
func (c *Client) wait() {
	if c.tc != nil && !c.armed {
		c.tc.Arm(true)
		c.armed = true
	}
}

// idle disarms it: nothing is expected from the server until the next command.
func (c *Client) idle() {
	if c.tc != nil && c.armed {
		c.tc.Arm(false)
		c.armed = false
	}
}
