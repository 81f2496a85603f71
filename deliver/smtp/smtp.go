// Package smtp delivers messages to a local LMTP server (RFC 2033; Dovecot, Cyrus) or
// SMTP server (RFC 5321; Postfix, Exim), using the client of github.com/emersion/go-smtp.
//
// # Where it connects
//
// Package tunnel is the only package that dials remote hosts, with its TLS and SSH
// policies. A delivery target is local, so this package dials it itself, but only a unix
// socket ("unix:/run/dovecot/lmtp") or a loopback address ("127.0.0.1:24", "[::1]",
// "localhost:25"; a name must resolve to loopback addresses, and only those are dialed).
// Options.AllowRemote lifts the restriction for a trusted network; the connection then
// crosses it in plaintext and unauthenticated, as fetchmail's smtphost does.
//
// # The transaction
//
// Messages go over one connection, with RSET between them, kept from one Publish to
// the next until Close (the pipeline hands over one message per Publish, see below); a
// connection that breaks, or that the server closed while idle, is dialed again for the
// next message. The client greets with LHLO or EHLO
// (Options.Hostname). MAIL FROM is the address of the message's first Return-Path field,
// or the null path <> when there is none, it is <>, or it is not a plausible address (a
// Return-Path written by a hostile server must not become an SMTP command argument).
// From is deliberately not used: a bounce must not go to an address the sender merely
// claims. RCPT TO is Options.DeliverTo.
//
// BODY=8BITMIME (RFC 6152) is sent when the server offers it, and SMTPUTF8 (RFC 6531)
// too. A message's bytes are sent unchanged whatever the server offers: a server
// without 8BITMIME receives 8-bit bytes all the same, because changing a message is
// worse than a protocol nicety and local servers accept them. A non-ASCII Return-Path
// becomes <> when the server lacks SMTPUTF8. go-smtp's data writer turns LF into CRLF
// and doubles a leading dot (RFC 5321 §4.5.2); a lone CR and NUL bytes go through as
// they are, and a last line without a newline gets one.
//
// SMTP servers may refuse lines over 1000 octets (RFC 5321 §4.5.3.1.6). A refusal, or
// a connection closed during DATA, of a message with such a line says so and suggests
// LMTP, an MDA or a maildir, which have no such limit.
//
// # Replies
//
// A 4xx reply is a temporary failure (fail.Temporary: the message stays on the server
// and is tried again next run); a 5xx reply is a permanent one (fail.Delivery) carrying
// the server's text. For LMTP, the reply for the one recipient after DATA decides. A
// connection that cannot be made or breaks is temporary. If it breaks after the final
// dot but before the reply, the server may have the message: the next run delivers it
// again, which can duplicate it, but never loses it.
//
// Staging works as in package deliver/mda: a private spool file per message (package
// deliver/spool), and Check answers fetch.Unknown, so the pipeline publishes one message
// at a time and a crash leaves at most one in doubt (docs/design.md).
package smtp

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fetchsecure/fetchsecure/deliver"
	"github.com/fetchsecure/fetchsecure/deliver/spool"
	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// DefaultTimeout is the inactivity timeout when Options.Timeout is 0: RFC 5321
// §4.5.3.2.6 has a server take up to 10 minutes to answer the final dot.
const DefaultTimeout = 10 * time.Minute

// Options configures a delivery to an LMTP or SMTP server.
type Options struct {
	// SpoolDir holds staged messages until the server has them; "" means os.TempDir().
	// It must not be writable by other users unless it has the sticky bit.
	SpoolDir string
	// Trace decides the header lines prepended to every message.
	Trace deliver.Trace
	// LMTP selects LMTP (RFC 2033) instead of SMTP.
	LMTP bool
	// DeliverTo is the RCPT TO address. Required.
	DeliverTo string
	// Hostname is this machine's name for LHLO/EHLO; "" means os.Hostname().
	Hostname string
	// AllowRemote permits a target that is neither a unix socket nor a loopback
	// address. The connection is plaintext and unauthenticated.
	AllowRemote bool
	// Timeout is how long a read or write may make no progress; 0 means DefaultTimeout.
	Timeout time.Duration
}

// SMTP is a fetch.Sink that hands messages to an LMTP or SMTP server.
type SMTP struct {
	target   target
	lmtp     bool
	to       string
	hostname string
	timeout  time.Duration
	trace    deliver.Trace
	spool    *spool.Dir

	mu   sync.Mutex
	sess *session // the connection, kept from one Publish to the next until Close
}

var _ fetch.Sink = (*SMTP)(nil)

// New checks addr and the options; it does not connect. addr is "unix:/path" or
// "host:port"; for SMTP the port may be left out and defaults to 25.
func New(addr string, opts Options) (*SMTP, error) {
	t, err := parseTarget(addr, opts.LMTP, opts.AllowRemote)
	if err != nil {
		return nil, err
	}
	if err := checkRecipient(opts.DeliverTo); err != nil {
		return nil, err
	}
	host, err := hostname(opts.Hostname)
	if err != nil {
		return nil, err
	}
	dir, err := spool.Open(opts.SpoolDir)
	if err != nil {
		return nil, err
	}
	s := &SMTP{target: t, lmtp: opts.LMTP, to: opts.DeliverTo, hostname: host,
		timeout: opts.Timeout, trace: opts.Trace, spool: dir}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	return s, nil
}

func checkRecipient(to string) error {
	if to == "" {
		return fail.Errorf(fail.Config, "smtp: no recipient (deliver_to) set")
	}
	if !plausibleAddress(to) {
		return fail.Errorf(fail.Config, "smtp: recipient %q is not an address", to)
	}
	return nil
}

// hostname returns name, or this machine's name, checked to be one word.
func hostname(name string) (string, error) {
	if name == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			name = h
		} else {
			name = "localhost"
		}
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", fail.Errorf(fail.Config, "smtp: hostname %q holds a space or control character", name)
	}
	return name, nil
}

// plausibleAddress reports whether a can go into MAIL FROM or RCPT TO as it is: 1 to 256
// octets (RFC 5321 §4.5.3.1.3) of valid UTF-8 without a space, control character or
// angle bracket that would break the command. (Dovecot's LMTP takes a bare user name.)
func plausibleAddress(a string) bool {
	return a != "" && len(a) <= 256 && utf8.ValidString(a) &&
		!strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '<' || r == '>' })
}

// Stage copies the trace header lines and the message to a spool file.
func (s *SMTP) Stage(ctx context.Context, env *fetch.Envelope, body io.Reader) (fetch.Staged, error) {
	return s.spool.Write(ctx, s.trace.Header(env), body)
}

// Publish delivers the batch, one message after the other, and removes the spool
// files. It returns one error per message. The connection stays open for the next
// Publish (the pipeline hands over one message at a time, docs/design.md) until Close;
// a connection the server closed in between is dialed again.
func (s *SMTP) Publish(ctx context.Context, batch []fetch.Staged) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess != nil && s.sess.ctx != ctx {
		s.sess.close() // its connection is tied to the other context
		s.sess = nil
	}
	if s.sess == nil {
		s.sess = &session{s: s, ctx: ctx}
	}
	sess := s.sess
	sess.dialErr = nil // a failed dial fails the rest of one batch, not of the next
	return spool.Publish(ctx, batch, func(msg *spool.Message) error { return sess.deliver(ctx, msg) })
}

// Close ends the connection politely (QUIT).
func (s *SMTP) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess != nil {
		s.sess.close()
		s.sess = nil
	}
	return nil
}

// Check answers fetch.Unknown: a server cannot be asked whether it got a message. It
// removes the spool file the interrupted run may have left behind.
func (s *SMTP) Check(receipt string) (fetch.Outcome, error) {
	return fetch.Unknown, s.spool.Forget(receipt)
}

// proto names the protocol in messages.
func (s *SMTP) proto() string {
	if s.lmtp {
		return "lmtp"
	}
	return "smtp"
}

func (s *SMTP) String() string { return fmt.Sprintf("%s server %s", s.proto(), s.target) }
