// Package fakepop3 is a scriptable POP3 server for tests: it listens on 127.0.0.1:0,
// serves a mailbox of raw messages with correct dot-stuffing (RFC 1939 §3), and lets a
// test switch capabilities on and off, inject faults and see every command received.
//
// # Use
//
//	srv := fakepop3.Start(t, fakepop3.Config{
//		Messages:   [][]byte{[]byte("Subject: hi\r\n\r\nbody\r\n")},
//		Pipelining: true,
//	})
//	conn := srv.Dial(t)            // a plain TCP connection to it
//	... run the client on conn ...
//	if srv.Saw("QUIT") { ... }      // what the client sent
//	srv.Remaining()                 // UIDLs still on the server after the sessions
//
// The server stops when the test ends (t.Cleanup), closing every connection and
// waiting for its goroutines.
//
// # Behaviour
//
// Each connection is a session (RFC 1939): AUTHORIZATION (CAPA, STLS, UTF8, USER,
// PASS, APOP, AUTH PLAIN, QUIT), then TRANSACTION (STAT, LIST, UIDL, RETR, TOP, DELE,
// NOOP, RSET, CAPA, QUIT). A session sees the messages present when it logged in,
// numbered from 1; DELE marks them, and only QUIT in TRANSACTION removes them from the
// server, as a real server does. Replies are buffered while more pipelined input is
// waiting and flushed when the client has nothing more queued, like a pipelining
// server; commands are accepted pipelined whether or not PIPELINING is advertised
// (popa3d does the same), and each [Command] records whether it arrived pipelined.
// The server accepts a plaintext login, like Debian's default Dovecot, Cyrus and
// Courier: only the client's policy keeps the password off the wire.
//
// # Faults
//
// [Config.Hook] sees every command before the server handles it and may answer it
// with raw bytes ([Session.Write], e.g. half a message from [Session.Wire]), cut the
// connection ([Hangup]), stall ([Session.Stall]), or let the server answer and cut the
// reply after n bytes ([Session.CutAfter]). [Config.Greeting] replaces the greeting
// (an APOP timestamp "<...>" in it is used), [Config.Latency] delays every burst of
// replies. [Reply], [ReplyAndHangup], [CutDuring], [StallOn] and [Chain] build the
// common hooks:
//
//	Hook: fakepop3.Chain(
//		fakepop3.Reply("STAT", "+OK 99999999999 1\r\n"),   // bogus count
//		fakepop3.Reply("RETR 2", "-ERR [SYS/TEMP] locked\r\n"),
//		fakepop3.CutDuring("RETR 3", 5000),                 // connection lost mid-message
//	)
//
// # Helpers
//
// [Stuff] encodes a message as the server sends it and [Unstuffed] is what a correct
// client must deliver for it (CRLF→LF). [TLSConfigs] makes a matching server and
// client TLS configuration for Config.TLS or Config.STLS.
package fakepop3

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib/fakenet"
)

// Config describes the server. The zero value is a minimal RFC 1939 server with CAPA,
// UIDL and USER/PASS for user "user", password "secret", and an empty mailbox.
type Config struct {
	Messages [][]byte // message 1 first, exactly as stored (usually CRLF line endings)
	UIDLs    []string // unique-ids of Messages; default "uid-1", "uid-2", ...

	User, Password string // the only account; default "user", "secret"

	Greeting string        // raw greeting line without CRLF; default "+OK fakepop3 ready"
	TLS      *tls.Config   // non-nil: implicit TLS on connect (pop3s)
	STLS     *tls.Config   // non-nil: advertise and support STLS (RFC 2595)
	Latency  time.Duration // sleep before each burst of replies is sent

	NoCAPA     bool     // answer CAPA with -ERR (popa3d)
	NoUIDL     bool     // no UIDL capability; the UIDL command answers -ERR
	NoUser     bool     // no USER capability; USER answers -ERR
	Pipelining bool     // advertise PIPELINING (RFC 2449 §6.6)
	SASLPlain  bool     // advertise and support SASL PLAIN (RFC 5034)
	APOP       bool     // put an APOP timestamp in the greeting and accept APOP
	UTF8       bool     // advertise and accept UTF8 (RFC 6856)
	ExtraCaps  []string // more CAPA lines, e.g. "LOGIN-DELAY 10"

	// Hook, if set, sees every command line before the server handles it.
	Hook Hook
	// OnConnect, if set, runs before the greeting: returning Hangup closes the
	// connection (after a half greeting, a stall), Handled skips the greeting.
	OnConnect func(s *Session) Action
}

// Hook inspects a command and may answer it, fault the session or pass it on.
type Hook func(s *Session, c Command) Action

// Action tells the server what to do after a Hook ran.
type Action int

const (
	Continue Action = iota // handle the command normally
	Handled                // the hook answered (or chose silence); read the next command
	Hangup                 // close the connection now, without a reply
)

// Command is one command line the server received.
type Command struct {
	Session   int    // which connection: 1 for the first
	Line      string // the line without CRLF, as received (passwords included)
	Verb      string // first word, upper case
	Arg       string // the rest after the first space
	TLS       bool   // it arrived over TLS
	Pipelined bool   // more input was already waiting when it was read
}

// Server is a running fake POP3 server.
type Server struct {
	cfg  Config
	net  *fakenet.Listener
	mu   sync.Mutex
	mbox []*message
	cmds []Command
}

type message struct {
	uidl string
	data []byte
}

// Start starts a server on 127.0.0.1:0 that stops when tb's test ends.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.User == "" && cfg.Password == "" {
		cfg.User, cfg.Password = "user", "secret"
	}
	s := &Server{cfg: cfg, net: fakenet.Listen(tb, cfg.TLS)}
	for i, data := range cfg.Messages {
		uidl := fmt.Sprintf("uid-%d", i+1)
		if i < len(cfg.UIDLs) {
			uidl = cfg.UIDLs[i]
		}
		s.mbox = append(s.mbox, &message{uidl: uidl, data: data})
	}
	s.net.Serve(func(conn net.Conn, id int) { newSession(s, conn, id).run() })
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.net.Addr() }

// Dial opens a TCP connection to the server; the test must close it (or hand it to a
// client that does).
func (s *Server) Dial(tb testing.TB) net.Conn {
	tb.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		tb.Fatalf("fakepop3: dial: %v", err)
	}
	return conn
}

// Close stops the server: it closes the listener and every connection, ends stalls
// and waits for all goroutines. It is safe to call more than once.
func (s *Server) Close() { s.net.Close() }

// Commands returns every command received so far, in order.
func (s *Server) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.cmds...)
}

// Verbs returns the verbs of Commands, e.g. "CAPA", "USER", "PASS", "UIDL".
func (s *Server) Verbs() []string {
	var v []string
	for _, c := range s.Commands() {
		v = append(v, c.Verb)
	}
	return v
}

// Saw reports whether any session sent a command with this verb.
func (s *Server) Saw(verb string) bool {
	for _, c := range s.Commands() {
		if c.Verb == strings.ToUpper(verb) {
			return true
		}
	}
	return false
}

// Remaining returns the UIDLs of the messages still on the server.
func (s *Server) Remaining() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.mbox {
		out = append(out, m.uidl)
	}
	return out
}

func (s *Server) record(c Command) {
	s.mu.Lock()
	s.cmds = append(s.cmds, c)
	s.mu.Unlock()
}

// snapshot returns the mailbox as a session sees it at login.
func (s *Server) snapshot() []*message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*message(nil), s.mbox...)
}

// expunge removes the given messages (the UPDATE state, RFC 1939 §6).
func (s *Server) expunge(gone map[*message]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.mbox[:0]
	for _, m := range s.mbox {
		if !gone[m] {
			kept = append(kept, m)
		}
	}
	s.mbox = kept
}
