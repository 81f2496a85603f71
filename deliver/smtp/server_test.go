package smtp

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"

	gosmtp "github.com/emersion/go-smtp"
)

// testServer is an in-process go-smtp server, in LMTP or SMTP mode, that records what
// it receives and answers as the test tells it.
type testServer struct {
	srv  *gosmtp.Server
	addr string // for New

	mu       sync.Mutex
	msgs     []received
	sessions int
	dataErrs int // DATA transfers that failed on the server's side

	// Answers; nil means accept.
	rcptErr func(to string) error
	dataErr func(data []byte) error
	onData  func(c *gosmtp.Conn) // called after a message was read, before the reply
}

type received struct {
	from string
	opts gosmtp.MailOptions
	to   []string
	data []byte
}

// startServer listens on a unix socket (network "unix") or on 127.0.0.1.
func startServer(t testing.TB, lmtp bool, network string, configure func(*testServer)) *testServer {
	t.Helper()
	ts := &testServer{}
	ts.srv = gosmtp.NewServer(gosmtp.BackendFunc(ts.newSession))
	ts.srv.LMTP = lmtp
	ts.srv.Domain = "test.example"
	ts.srv.EnableSMTPUTF8 = true
	ts.srv.MaxLineLength = 0 // no limit unless a test sets one
	ts.srv.ErrorLog = discardLog{}
	if configure != nil {
		configure(ts) // before Serve: the server's fields are not locked
	}
	var l net.Listener
	var err error
	if network == "unix" {
		path := filepath.Join(t.TempDir(), "lmtp.sock")
		l, err = net.Listen("unix", path)
		ts.addr = "unix:" + path
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			ts.addr = l.Addr().String()
		}
	}
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan struct{})
	go func() { ts.srv.Serve(l); close(done) }()
	t.Cleanup(func() { ts.srv.Close(); <-done })
	return ts
}

// lockedBuffer is a bytes.Buffer that the server's goroutines may write while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

func (ts *testServer) newSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	ts.mu.Lock()
	ts.sessions++
	ts.mu.Unlock()
	return &testSession{ts: ts, conn: c}, nil
}

func (ts *testServer) messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

func (ts *testServer) connections() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.sessions
}

type testSession struct {
	ts   *testServer
	conn *gosmtp.Conn
	cur  received
}

func (s *testSession) Reset()        { s.cur = received{} }
func (s *testSession) Logout() error { return nil }

func (s *testSession) Mail(from string, opts *gosmtp.MailOptions) error {
	s.cur = received{from: from}
	if opts != nil {
		s.cur.opts = *opts
	}
	return nil
}

func (s *testSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if s.ts.rcptErr != nil {
		if err := s.ts.rcptErr(to); err != nil {
			return err
		}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

// Data reads the message and records it if the test's answer accepts it.
func (s *testSession) Data(r io.Reader) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		s.ts.mu.Lock()
		s.ts.dataErrs++
		s.ts.mu.Unlock()
		return err
	}
	if s.ts.onData != nil {
		s.ts.onData(s.conn)
	}
	if s.ts.dataErr != nil {
		if err := s.ts.dataErr(b.Bytes()); err != nil {
			return err
		}
	}
	s.cur.data = b.Bytes()
	s.ts.mu.Lock()
	s.ts.msgs = append(s.ts.msgs, s.cur)
	s.ts.mu.Unlock()
	return nil
}

// LMTPData answers per recipient (RFC 2033 §4.2): the same answer for each.
func (s *testSession) LMTPData(r io.Reader, status gosmtp.StatusCollector) error {
	err := s.Data(r)
	for _, to := range s.cur.to {
		status.SetStatus(to, err)
	}
	return err
}
