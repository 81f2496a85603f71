package smtp

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fetchsecure/fetchsecure/deliver/spool"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// lastWordsWait bounds the wait for a reply after a write failed.
const lastWordsWait = 2 * time.Second

// session is the connection Publish delivers over.
type session struct {
	s       *SMTP
	ctx     context.Context // of the Publish calls that may use it
	c       *gosmtp.Client  // nil until dialed, and after the connection broke
	raw     net.Conn        // c's connection, without the inactivity timeout
	stop    func() bool     // stops closing the connection when ctx is done
	dirty   bool            // a transaction was started on c: RSET before the next
	dialErr error           // dialing failed: the rest of the batch fails the same way
}

// client returns a connection ready for a new transaction.
func (ss *session) client(ctx context.Context) (*gosmtp.Client, error) {
	if ss.dialErr != nil {
		return nil, ss.dialErr
	}
	if ss.c != nil && ss.dirty {
		if err := ss.c.Reset(); err != nil {
			ss.drop() // broken: dial again
		}
		ss.dirty = false
	}
	if ss.c == nil {
		if err := ss.connect(ctx); err != nil {
			ss.dialErr = err
			return nil, err
		}
	}
	return ss.c, nil
}

// connect dials the target and greets it.
func (ss *session) connect(ctx context.Context) error {
	s := ss.s
	conn, err := s.target.dial(ctx)
	if err != nil {
		return fail.Hint(fail.Temporary, fmt.Errorf("connect to %s: %w", s, err),
			"check that the "+s.proto()+" server is running")
	}
	idle := idleConn{Conn: conn, timeout: s.timeout}
	c := gosmtp.NewClient(idle)
	if s.lmtp {
		c = gosmtp.NewClientLMTP(idle)
	}
	c.CommandTimeout, c.SubmissionTimeout = s.timeout, s.timeout
	ss.c, ss.raw, ss.stop = c, conn, context.AfterFunc(ctx, func() { conn.Close() })
	// Refusal at the greeting or hello is about the connection, not the message.
	if err := c.Hello(s.hostname); err != nil {
		ss.drop()
		return fail.Wrap(fail.Temporary, fmt.Errorf("greet %s: %w", s, err))
	}
	return nil
}

// drop closes the connection without QUIT.
func (ss *session) drop() {
	if ss.c != nil {
		ss.stop()
		ss.c.Close()
		ss.c = nil
	}
}

// close ends the session politely.
func (ss *session) close() {
	if ss.c != nil {
		ss.c.Quit() // the batch's outcome is decided; a failed QUIT changes nothing
		ss.drop()
	}
}

// deliver sends one message.
func (ss *session) deliver(ctx context.Context, msg *spool.Message) error {
	sender, err := msg.Sender()
	if err != nil {
		return err
	}
	f, err := msg.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	c, err := ss.client(ctx)
	if err != nil {
		return err
	}
	ss.dirty = true
	step, err := ss.transact(c, sender, f, msg.Stats())
	if err != nil && ss.s.replyOf(err) == nil {
		ss.drop() // not a reply: the connection is in an unknown state
	}
	if step == "" {
		return err
	}
	return ss.s.refused(step, err, msg.Stats())
}

// transact runs MAIL, RCPT and DATA for one message. It returns the step that failed
// and the raw error, or "" and an error that is already classified.
func (ss *session) transact(c *gosmtp.Client, sender spool.Sender, body io.Reader, st spool.Stats) (string, error) {
	utf8, _ := c.Extension("SMTPUTF8")
	// SIZE counts the CRLF line endings the message is sent with (RFC 1870 §3).
	opts := &gosmtp.MailOptions{Size: st.Size + st.Lines, UTF8: utf8}
	if err := c.Mail(envelopeFrom(sender, utf8), opts); err != nil {
		return "MAIL FROM", err
	}
	if err := c.Rcpt(ss.s.to, nil); err != nil {
		return "RCPT TO", err
	}
	w, err := c.Data()
	if err != nil {
		return "DATA", err
	}
	r := &trackedReader{r: body}
	if _, err := io.Copy(w, r); err != nil {
		if r.err != nil {
			// Closing w would end the message with a dot: the server would take a
			// truncated message. The caller drops the connection instead.
			return "", fail.Wrap(fail.Temporary, fmt.Errorf("read spool file: %w", r.err))
		}
		if reply := ss.lastWords(); reply != nil {
			return "the message", reply
		}
		return "the message", err
	}
	if ss.s.lmtp {
		_, err = w.CloseWithLMTPResponse()
	} else {
		_, err = w.CloseWithResponse()
	}
	return "the message", err
}

// trackedReader remembers a read error, to tell it from a write error in io.Copy.
type trackedReader struct {
	r   io.Reader
	err error
}

func (t *trackedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

// envelopeFrom is the MAIL FROM address: the Return-Path address if it is plausible
// and, when it is not ASCII, the server takes SMTPUTF8; otherwise the null path.
func envelopeFrom(s spool.Sender, utf8 bool) string {
	a := s.ReturnPath
	if !plausibleAddress(a) || !strings.Contains(a, "@") || !utf8 && !isASCII(a) {
		return ""
	}
	return a
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// lastWords reads the reply a server sent before it closed the connection in the middle
// of DATA (say, refusing a long line), so that the user sees the server's reason rather
// than "broken pipe". It returns nil if there is none. The connection is dropped.
func (ss *session) lastWords() *gosmtp.SMTPError {
	defer ss.drop()
	ss.raw.SetReadDeadline(time.Now().Add(lastWordsWait))
	buf := make([]byte, 512)
	n, _ := io.ReadFull(ss.raw, buf)
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	line = strings.TrimSuffix(line, "\r")
	if len(line) < 4 || line[3] != ' ' && line[3] != '-' {
		return nil
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil || code < 400 || code > 599 {
		return nil
	}
	return &gosmtp.SMTPError{Code: code, Message: line[4:]}
}
