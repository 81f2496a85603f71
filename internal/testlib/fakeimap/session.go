package fakeimap

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/testlib/fakenet"
)

// errHangup ends a session.
var errHangup = errors.New("hang up")

// Session is one connection, as a Hook sees it.
type Session struct {
	srv      *Server
	conn     net.Conn
	cut      *fakenet.Cutter
	br       *bufio.Reader
	bw       *bufio.Writer
	id       int
	tls      bool
	authed   bool
	box      *Folder    // selected folder, nil if none
	msgs     []*Message // the selected folder as this session sees it
	validity uint32
	readOnly bool
	tag      string // tag of the command being handled
}

func newSession(srv *Server, conn net.Conn, id int) *Session {
	s := &Session{srv: srv, conn: conn, id: id, tls: srv.cfg.TLS != nil}
	s.cut = &fakenet.Cutter{Conn: conn, Left: -1}
	s.br = bufio.NewReader(conn)
	s.bw = bufio.NewWriterSize(s.cut, 64<<10)
	return s
}

// ID is the session's number: 1 for the first connection.
func (s *Session) ID() int { return s.id }

// TLS reports whether the session is encrypted.
func (s *Session) TLS() bool { return s.tls }

// Tag is the tag of the command being handled.
func (s *Session) Tag() string { return s.tag }

// Messages returns the selected folder's messages as this session sees them: message
// n is Messages()[n-1]. It is nil when no folder is selected.
func (s *Session) Messages() []*Message { return s.msgs }

// Write sends raw bytes now (add the CRLF yourself).
func (s *Session) Write(raw string) {
	s.bw.WriteString(raw)
	s.bw.Flush()
}

// Writef is Write with a format.
func (s *Session) Writef(format string, args ...any) { s.Write(fmt.Sprintf(format, args...)) }

// WriteRepeat sends n bytes made of chunk repeated (and cut to length), without
// allocating n bytes: for literals of hundreds of megabytes. It stops early if the
// client goes away, and reports how many bytes were sent.
func (s *Session) WriteRepeat(chunk []byte, n int64) int64 {
	var sent int64
	for sent < n {
		b := chunk[:min(int64(len(chunk)), n-sent)]
		k, err := s.bw.Write(b)
		sent += int64(k)
		if err != nil {
			return sent
		}
	}
	s.bw.Flush()
	return sent
}

// Stall blocks until the server is closed: the client sees a server that stopped
// answering. Call it from a Hook (then return Hangup) or from Render.
func (s *Session) Stall() {
	s.bw.Flush()
	<-s.srv.net.Done()
}

// CutAfter makes the connection close after n more bytes have been written: return
// Continue from the Hook and the server's own reply is cut short.
func (s *Session) CutAfter(n int) {
	s.bw.Flush()
	s.cut.Left = n
}

// StartTLS runs the server side of the TLS handshake now (after the hook wrote its
// own "OK" to STARTTLS, and perhaps something after it).
func (s *Session) StartTLS() error {
	if err := s.bw.Flush(); err != nil {
		return err
	}
	tconn := tls.Server(s.conn, s.srv.cfg.StartTLS)
	if err := tconn.Handshake(); err != nil {
		return err
	}
	s.conn, s.tls = tconn, true
	s.cut.Conn = tconn
	s.br.Reset(tconn)
	return nil
}

func (s *Session) run() {
	if !s.greet() {
		return
	}
	for {
		c, err := s.readCommand()
		if err != nil {
			return
		}
		s.srv.record(*c)
		s.tag = c.Tag
		err = s.handle(c)
		if ferr := s.bw.Flush(); err == nil {
			err = ferr
		}
		if err != nil {
			return
		}
	}
}

// greet runs OnConnect and sends the greeting; false ends the session.
func (s *Session) greet() bool {
	if h := s.srv.cfg.OnConnect; h != nil {
		switch h(s) {
		case Hangup:
			return false
		case Handled:
			return true
		}
	}
	g := s.srv.cfg.Greeting
	if g == "" {
		g = "* OK fakeimap ready"
	}
	s.Write(g + "\r\n")
	if strings.HasPrefix(strings.ToUpper(g), "* PREAUTH") {
		s.authed = true
	}
	return true
}

// readCommand reads one command line, answering "+" to each synchronizing literal
// (RFC 9051 §4.3) and reading the literal into the line.
func (s *Session) readCommand() (*Command, error) {
	var line strings.Builder
	for {
		part, err := s.br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line.WriteString(part)
		n, sync, ok := literalHeader(part)
		if !ok {
			break
		}
		if sync {
			s.Write("+ go ahead\r\n")
		}
		if _, err := io.CopyN(&line, s.br, n); err != nil {
			return nil, err
		}
	}
	return s.parse(line.String()), nil
}

// literalHeader recognises a line ending in "{n}" or "{n+}" and CRLF.
func literalHeader(part string) (n int64, sync, ok bool) {
	p := strings.TrimSuffix(strings.TrimSuffix(part, "\n"), "\r")
	if !strings.HasSuffix(p, "}") {
		return 0, false, false
	}
	i := strings.LastIndexByte(p, '{')
	if i < 0 {
		return 0, false, false
	}
	num := p[i+1 : len(p)-1]
	sync = !strings.HasSuffix(num, "+")
	n, err := strconv.ParseInt(strings.TrimSuffix(num, "+"), 10, 64)
	return n, sync, err == nil && n >= 0
}

func (s *Session) parse(line string) *Command {
	toks := tokenize(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
	c := &Command{Session: s.id, Line: line, TLS: s.tls}
	if s.box != nil {
		c.Folder = s.box.Name
	}
	if len(toks) > 0 {
		c.Tag = toks[0]
	}
	if len(toks) > 1 {
		c.Verb = strings.ToUpper(toks[1])
		c.Args = toks[2:]
	}
	if c.Verb == "UID" && len(c.Args) > 0 {
		c.Verb += " " + strings.ToUpper(c.Args[0])
		c.Args = c.Args[1:]
	}
	return c
}

// handle runs the hook, then the default responder; an error ends the session.
func (s *Session) handle(c *Command) error {
	if h := s.srv.cfg.Hook; h != nil {
		switch h(s, c) {
		case Handled:
			return nil
		case Hangup:
			s.bw.Flush()
			return errHangup
		}
	}
	return s.respond(c)
}

func (s *Session) ok(text string) error  { return s.tagged("OK", text) }
func (s *Session) no(text string) error  { return s.tagged("NO", text) }
func (s *Session) bad(text string) error { return s.tagged("BAD", text) }

func (s *Session) tagged(status, text string) error {
	_, err := s.bw.WriteString(s.tag + " " + status + " " + text + "\r\n")
	return err
}

func (s *Session) untagged(text string) {
	s.bw.WriteString("* " + text + "\r\n")
}
