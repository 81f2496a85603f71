package main

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// mailServer is go-imap's in-memory IMAP server, reachable two ways: implicit TLS on a
// loopback port, and plaintext IMAP on in-process pipes that only the SSH server can
// open, the way "localhost:143" on a real mail host is reachable only from that host.
type mailServer struct {
	mem     *imapmemserver.Server
	users   map[string]*imapmemserver.User
	tlsAddr string
	pipes   *pipeListener
	servers []*imapserver.Server
	lns     []net.Listener
	wg      sync.WaitGroup // one per Serve loop
}

// caps adds UIDPLUS to IMAP4rev1: fetchsecure deletes only with UID EXPUNGE (RFC 4315),
// never with a bare EXPUNGE that could remove other mail.
var caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}

// startMail starts the server with users name → password, presenting cert over TLS.
func startMail(cert tls.Certificate, users map[string]string) (*mailServer, error) {
	m := &mailServer{mem: imapmemserver.New(), users: map[string]*imapmemserver.User{}, pipes: newPipeListener()}
	for name, pass := range users {
		u := imapmemserver.NewUser(name, pass)
		if err := u.Create(inbox, nil); err != nil {
			return nil, err
		}
		m.mem.AddUser(u)
		m.users[name] = u
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, fmt.Errorf("IMAP server: %w", err)
	}
	m.tlsAddr = ln.Addr().String()
	m.serve(ln, false)
	m.serve(m.pipes, true) // plaintext: reached only through the SSH tunnel
	return m, nil
}

func (m *mailServer) serve(ln net.Listener, plaintextLogin bool) {
	s := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return m.mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: plaintextLogin,
		Logger:       quiet{},
	})
	m.servers, m.lns = append(m.servers, s), append(m.lns, ln)
	m.wg.Add(1)
	go func() { defer m.wg.Done(); s.Serve(ln) }()
}

// Close stops both servers and closes their connections. The Serve loops must have
// returned before imapserver's Close, which waits for them with a WaitGroup that Serve
// only joins once it runs (WaitGroup.Add racing with Wait).
func (m *mailServer) Close() {
	for _, ln := range m.lns {
		ln.Close()
	}
	m.wg.Wait()
	for _, s := range m.servers {
		s.Close()
	}
}

// add appends msgs to user's folder, creating it.
func (m *mailServer) add(user, folder string, msgs ...sample) error {
	u := m.users[user]
	if _, err := u.Status(folder, &imap.StatusOptions{}); err != nil {
		if err := u.Create(folder, nil); err != nil {
			return fmt.Errorf("create %s: %w", folder, err)
		}
	}
	for _, s := range msgs {
		if _, err := u.Append(folder, literal{bytes.NewReader(s.data)}, &imap.AppendOptions{}); err != nil {
			return fmt.Errorf("append %s to %s: %w", s.name, folder, err)
		}
	}
	return nil
}

// count returns how many messages user's folder holds and how many of them are unseen.
func (m *mailServer) count(user, folder string) (total, unseen uint32, err error) {
	st, err := m.users[user].Status(folder, &imap.StatusOptions{NumMessages: true, NumUnseen: true})
	if err != nil {
		return 0, 0, err
	}
	return *st.NumMessages, *st.NumUnseen, nil
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// pipeListener is a net.Listener for connections made inside this process: dial
// returns one end of a pipe and Accept the other. No socket exists.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) dial() (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "in-process" }
