package fakepop3

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib/fakenet"
)

// errHangup ends a session without a reply.
var errHangup = errors.New("hang up")

// Session is one connection, as a Hook sees it.
type Session struct {
	srv     *Server
	conn    net.Conn
	cut     *fakenet.Cutter
	br      *bufio.Reader
	bw      *bufio.Writer
	id      int
	tls     bool
	authed  bool
	utf8    bool
	user    string
	msgs    []*message   // the mailbox at login; message n is msgs[n-1]
	deleted map[int]bool // marked by DELE in this session
	pending string       // a SASL mechanism waiting for its response line
	stamp   string       // the APOP timestamp in the greeting
}

func newSession(srv *Server, conn net.Conn, id int) *Session {
	s := &Session{srv: srv, conn: conn, id: id, tls: srv.cfg.TLS != nil, deleted: map[int]bool{}}
	s.cut = &fakenet.Cutter{Conn: conn, Left: -1}
	s.br = bufio.NewReader(conn)
	s.bw = bufio.NewWriterSize(s.cut, 64<<10)
	return s
}

// ID is the session's number: 1 for the first connection.
func (s *Session) ID() int { return s.id }

// TLS reports whether the session is encrypted.
func (s *Session) TLS() bool { return s.tls }

// Write sends raw bytes now (add the CRLF yourself).
func (s *Session) Write(raw string) {
	s.bw.WriteString(raw)
	s.bw.Flush()
}

// Stall blocks until the server is closed: the client sees a server that stopped
// answering. Call it from a Hook, then return Hangup.
func (s *Session) Stall() {
	<-s.srv.net.Done()
}

// CutAfter makes the connection close after n more bytes have been written: return
// Continue from the Hook and the server's own reply is cut short.
func (s *Session) CutAfter(n int) {
	s.bw.Flush()
	s.cut.Left = n
}

// Wire returns message n (from 1) of this session as RETR sends it: dot-stuffed and
// terminated, without the +OK line. It is nil before login or for a bad n.
func (s *Session) Wire(n int) []byte {
	if n < 1 || n > len(s.msgs) {
		return nil
	}
	return Stuff(s.msgs[n-1].data)
}

func (s *Session) run() {
	if !s.connect() {
		return
	}
	for {
		if s.bw.Buffered() > 0 && s.br.Buffered() == 0 {
			s.flush()
		}
		line, err := s.br.ReadString('\n')
		if err != nil {
			return
		}
		c := s.parse(line)
		s.srv.record(c)
		if s.handle(c) != nil {
			s.bw.Flush()
			return
		}
	}
}

// connect runs OnConnect and sends the greeting; false ends the session.
func (s *Session) connect() bool {
	action := Continue
	if h := s.srv.cfg.OnConnect; h != nil {
		action = h(s)
	}
	switch action {
	case Hangup:
		s.bw.Flush()
		return false
	case Continue:
		s.greet()
	}
	return true
}

func (s *Session) flush() {
	if d := s.srv.cfg.Latency; d > 0 {
		select {
		case <-time.After(d):
		case <-s.srv.net.Done():
		}
	}
	s.bw.Flush()
}

func (s *Session) greet() {
	g := s.srv.cfg.Greeting
	if g == "" {
		g = "+OK fakepop3 ready"
		if s.srv.cfg.APOP {
			g += " <1896.697170952@fakepop3.test>"
		}
	}
	if i, j := strings.IndexByte(g, '<'), strings.LastIndexByte(g, '>'); i >= 0 && j > i {
		s.stamp = g[i : j+1]
	}
	s.Write(g + "\r\n")
}

func (s *Session) parse(line string) Command {
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	verb, arg, _ := strings.Cut(line, " ")
	return Command{Session: s.id, Line: line, Verb: strings.ToUpper(verb), Arg: arg,
		TLS: s.tls, Pipelined: s.br.Buffered() > 0}
}

// handle runs the hook, then the command; an error ends the session.
func (s *Session) handle(c Command) error {
	if h := s.srv.cfg.Hook; h != nil {
		switch h(s, c) {
		case Handled:
			return nil
		case Hangup:
			return errHangup
		}
	}
	if s.pending != "" {
		return s.saslResponse(c.Line)
	}
	if !s.authed {
		return s.authorization(c)
	}
	return s.transaction(c)
}

func (s *Session) ok(text string) error {
	_, err := s.bw.WriteString("+OK " + text + "\r\n")
	return err
}

func (s *Session) errf(text string) error {
	_, err := s.bw.WriteString("-ERR " + text + "\r\n")
	return err
}

// startTLS answers STLS and runs the server side of the handshake.
func (s *Session) startTLS() error {
	s.ok("Begin TLS negotiation")
	if err := s.bw.Flush(); err != nil {
		return err
	}
	tconn := tls.Server(s.conn, s.srv.cfg.STLS)
	if err := tconn.Handshake(); err != nil {
		return err
	}
	s.conn, s.tls = tconn, true
	s.cut.Conn = tconn
	s.br.Reset(tconn)
	return nil
}
