package tests

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"

	gosmtp "github.com/emersion/go-smtp"
)

// smtpd is an in-process SMTP server on 127.0.0.1 that keeps what it receives and
// answers DATA as the test says (nil: 250).
type smtpd struct {
	addr string

	mu     sync.Mutex
	msgs   [][]byte // message bytes as received, CRLF turned into LF
	rcpts  []string
	answer func(msg []byte) error
}

func startSMTPD(t *testing.T) *smtpd {
	t.Helper()
	s := &smtpd{}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &smtpSession{s: s}, nil
	}))
	srv.Domain = "smtpd.test"
	srv.MaxLineLength = 0
	srv.MaxMessageBytes = 0
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = quietLog{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	done := make(chan struct{})
	go func() { srv.Serve(l); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return s
}

// setAnswer changes the reply to DATA for the next messages.
func (s *smtpd) setAnswer(f func(msg []byte) error) {
	s.mu.Lock()
	s.answer = f
	s.mu.Unlock()
}

func (s *smtpd) received() ([][]byte, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.msgs...), append([]string(nil), s.rcpts...)
}

type smtpSession struct {
	s     *smtpd
	rcpts []string
}

func (ss *smtpSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (ss *smtpSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	ss.rcpts = append(ss.rcpts, to)
	return nil
}
func (ss *smtpSession) Reset()        { ss.rcpts = nil }
func (ss *smtpSession) Logout() error { return nil }

func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.answer != nil {
		if err := ss.s.answer(b); err != nil {
			return err
		}
	}
	ss.s.msgs = append(ss.s.msgs, b)
	ss.s.rcpts = append(ss.s.rcpts, ss.rcpts...)
	return nil
}

type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}
