// Package fakeimap is a scriptable IMAP server for tests, above all for hostile-server
// tests: it listens on 127.0.0.1:0 (plaintext, implicit TLS or STARTTLS), serves
// folders of raw messages with a well-behaved default responder, records every command,
// and lets a test replace any answer with raw bytes.
//
// # Use
//
//	srv := fakeimap.Start(t, fakeimap.Config{
//		Messages: [][]byte{[]byte("Subject: hi\r\n\r\nbody\r\n")},
//		StartTLS: serverTLS,
//	})
//	... point a client at srv.Addr() ...
//	srv.Saw("UID EXPUNGE")   // what the client sent
//	srv.Remaining("INBOX")   // UIDs still on the server
//
// The server stops when the test ends (t.Cleanup), closing every connection, ending
// stalls and waiting for its goroutines; a server that runs behind testlib.StartSSHD's
// forwarding is reached the same way, as it is a TCP server on loopback.
//
// # Default behaviour
//
// RFC 9051/3501 as fetchsecure uses it: CAPABILITY, STARTTLS, LOGIN, SELECT, EXAMINE,
// LIST, NOOP, CHECK, ENABLE, ID, UID FETCH (UID, RFC822.SIZE, FLAGS, BODY[] and
// BODY.PEEK[]), UID STORE and STORE of flags, UID EXPUNGE (with UIDPLUS), EXPUNGE,
// CLOSE, UNSELECT and LOGOUT. "n:*" matches the highest UID even when it is below n,
// as RFC 9051 §6.4.4 says. A message deleted by EXPUNGE is gone for every later
// session; within a session, sequence numbers follow the expunges.
//
// # Faults
//
// [Config.Hook] sees every command first and may answer it with raw bytes
// ([Session.Write]), cut the connection ([Hangup]), stall ([Session.Stall]), or let the
// default responder answer and cut its reply after n bytes ([Session.CutAfter]).
// [Config.OnConnect] runs before the greeting (to stall in it, or send half of it);
// [Config.Greeting] replaces it (e.g. "* PREAUTH ..."). [Config.Render] replaces how a
// message is written in a FETCH response, for UIDs out of order, the UID after the
// body, literal8, literals larger than the data, and the like. [Reply],
// [ReplyAndHangup], [StallOn], [CutDuring] and [Chain] build the common hooks.
package fakeimap

import (
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib/fakenet"
)

// Config describes the server. The zero value serves an empty INBOX to user "user"
// with password "secret", over plaintext, with the capabilities IMAP4rev1 and UIDPLUS.
type Config struct {
	// Messages is the INBOX, message 1 first, exactly as stored (CRLF line endings);
	// their UIDs are UIDs[i], or i+1.
	Messages [][]byte
	UIDs     []uint32
	// Folders are more folders (or the INBOX itself, replacing Messages).
	Folders []Folder
	// UIDValidity of the INBOX built from Messages; default 1.
	UIDValidity uint32

	User, Password string // the only account; default "user", "secret"

	Greeting string      // raw greeting line without CRLF; default "* OK fakeimap ready"
	TLS      *tls.Config // non-nil: implicit TLS on connect (imaps)
	StartTLS *tls.Config // non-nil: advertise and support STARTTLS
	// Caps replaces the capability list (without STARTTLS, which StartTLS adds);
	// default IMAP4rev1 UIDPLUS.
	Caps []string

	// OnConnect runs before the greeting; returning Hangup closes the connection,
	// Handled skips the greeting (OnConnect wrote its own).
	OnConnect func(s *Session) Action
	// Hook sees every command before the default responder.
	Hook Hook
	// Render, if set, writes one message of a UID FETCH or FETCH response instead of
	// the default "* seq FETCH (UID u ...)" line.
	Render func(s *Session, seq int, m *Message, it Items)
}

// Folder is a mailbox of the server.
type Folder struct {
	Name        string // UTF-8, '/' between levels
	UIDValidity uint32 // default 1
	Messages    []*Message
}

// Message is one message on the server.
type Message struct {
	UID     uint32
	Data    []byte
	Deleted bool // \Deleted flag
	Seen    bool // \Seen flag
}

// Hook inspects a command and may answer it, fault the session or pass it on.
type Hook func(s *Session, c *Command) Action

// Action tells the server what to do after a Hook ran.
type Action int

const (
	Continue Action = iota // handle the command normally
	Handled                // the hook answered (or chose silence); read the next command
	Hangup                 // close the connection now
)

// Command is one command the server received.
type Command struct {
	Session int      // which connection: 1 for the first
	Tag     string   // the client's tag
	Verb    string   // upper case; "UID FETCH", "UID STORE", "UID EXPUNGE" for UID commands
	Args    []string // arguments: atoms and lists raw, strings unquoted, literals decoded
	Line    string   // the command as received, literals included (passwords too)
	TLS     bool     // it arrived over TLS
	Folder  string   // the folder selected when it arrived, "" if none
}

// Server is a running fake IMAP server.
type Server struct {
	cfg   Config
	net   *fakenet.Listener
	mu    sync.Mutex
	boxes map[string]*Folder
	order []string // folder names in config order
	cmds  []Command
}

// Start starts a server on 127.0.0.1:0 that stops when tb's test ends.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.User == "" && cfg.Password == "" {
		cfg.User, cfg.Password = "user", "secret"
	}
	s := &Server{cfg: cfg, net: fakenet.Listen(tb, cfg.TLS), boxes: map[string]*Folder{}}
	s.addFolder(inbox(cfg))
	for _, f := range cfg.Folders {
		s.addFolder(f)
	}
	s.net.Serve(func(conn net.Conn, id int) { newSession(s, conn, id).run() })
	return s
}

// inbox builds the INBOX of cfg.Messages.
func inbox(cfg Config) Folder {
	f := Folder{Name: "INBOX", UIDValidity: cfg.UIDValidity}
	for i, data := range cfg.Messages {
		uid := uint32(i + 1)
		if i < len(cfg.UIDs) {
			uid = cfg.UIDs[i]
		}
		f.Messages = append(f.Messages, &Message{UID: uid, Data: data})
	}
	return f
}

func (s *Server) addFolder(f Folder) {
	if f.UIDValidity == 0 {
		f.UIDValidity = 1
	}
	key := folderKey(f.Name)
	if _, ok := s.boxes[key]; !ok {
		s.order = append(s.order, f.Name)
	}
	copied := f
	copied.Messages = nil
	for _, m := range f.Messages {
		mc := *m
		copied.Messages = append(copied.Messages, &mc)
	}
	s.boxes[key] = &copied
}

// folderKey makes INBOX case-insensitive (RFC 9051 §5.1).
func folderKey(name string) string {
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	return name
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.net.Addr() }

// Port is the server's TCP port.
func (s *Server) Port() int { return s.net.Port() }

// Close stops the server: it closes the listener and every connection, ends stalls
// and waits for all goroutines. It is safe to call more than once.
func (s *Server) Close() { s.net.Close() }

// Sessions is the number of connections accepted so far.
func (s *Server) Sessions() int { return s.net.Sessions() }

// Commands returns every command received so far, in order.
func (s *Server) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cmds)
}

// Saw reports whether any session sent a command with this verb ("LOGIN",
// "UID EXPUNGE").
func (s *Server) Saw(verb string) bool {
	for _, c := range s.Commands() {
		if c.Verb == strings.ToUpper(verb) {
			return true
		}
	}
	return false
}

// Remaining returns the UIDs still in a folder, in order.
func (s *Server) Remaining(folder string) []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint32
	if f := s.boxes[folderKey(folder)]; f != nil {
		for _, m := range f.Messages {
			out = append(out, m.UID)
		}
	}
	return out
}

// Flagged returns the UIDs of a folder that carry \Deleted but were not expunged.
func (s *Server) Flagged(folder string) []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint32
	if f := s.boxes[folderKey(folder)]; f != nil {
		for _, m := range f.Messages {
			if m.Deleted {
				out = append(out, m.UID)
			}
		}
	}
	return out
}

// SetUIDValidity changes a folder's UIDVALIDITY for the sessions that select it next.
func (s *Server) SetUIDValidity(folder string, v uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.boxes[folderKey(folder)]; f != nil {
		f.UIDValidity = v
	}
}

func (s *Server) record(c Command) {
	s.mu.Lock()
	s.cmds = append(s.cmds, c)
	s.mu.Unlock()
}

// folder returns the folder named name, or nil.
func (s *Server) folder(name string) *Folder {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.boxes[folderKey(name)]
}

// snapshot returns a folder's messages and UIDVALIDITY as a session sees them when it
// selects the folder.
func (s *Server) snapshot(f *Folder) ([]*Message, uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(f.Messages), f.UIDValidity
}

// expunge removes from f the messages for which gone returns true, and returns their
// former sequence numbers in the session's view msgs, each adjusted for the removals
// before it (the numbers "* n EXPUNGE" must carry, RFC 9051 §7.5.1).
func (s *Server) expunge(f *Folder, msgs *[]*Message, gone func(*Message) bool) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var seqs []int
	kept := (*msgs)[:0]
	for i, m := range *msgs {
		if gone(m) {
			seqs = append(seqs, i+1-len(seqs))
			f.Messages = slices.DeleteFunc(f.Messages, func(x *Message) bool { return x == m })
			continue
		}
		kept = append(kept, m)
	}
	*msgs = kept
	return seqs
}

// flag sets or clears the flags of m under the server's lock.
func (s *Server) flag(m *Message, deleted, seen *bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if deleted != nil {
		m.Deleted = *deleted
	}
	if seen != nil {
		m.Seen = *seen
	}
}

func (s *Server) String() string { return fmt.Sprintf("fakeimap at %s", s.Addr()) }
