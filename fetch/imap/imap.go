// Package imap is fetchsecure's IMAP source: it implements fetch.Source on a
// connection that package tunnel dialed, with github.com/emersion/go-imap/v2.
//
// What this package adds to the library is policy and robustness:
//   - STARTTLS (RFC 9051 §6.2.1) is required when asked for and never falls back to
//     plaintext; a PREAUTH greeting is refused unless the stream is a command tunnel
//     (fetchmail CVE-2021-39272); credentials are never sent on an unprotected stream.
//   - New mail is found by UID (RFC 9051 §2.3.1.1) against the state's high-water
//     mark, fetched with BODY.PEEK[] so \Seen is untouched, and streamed literal by
//     literal to the pipeline, CRLF turned into LF.
//   - Deletion is UID STORE +FLAGS.SILENT (\Deleted) then UID EXPUNGE of exactly those
//     UIDs (RFC 4315, UIDPLUS); without UIDPLUS nothing is deleted, because a bare
//     EXPUNGE would also remove other clients' \Deleted mail.
//   - Every wait on the server is bounded by the connection's inactivity watchdog
//     (fetch.TimeoutConn), armed only while a reply is expected.
package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/oauth/bearer"
)

// Options configure a session.
type Options struct {
	// StartTLS, if set, upgrades the connection with STARTTLS before anything else.
	StartTLS *tls.Config
	// TLS says the connection is already TLS (implicit TLS, port 993).
	TLS bool
	// PlaintextOK allows credentials on a stream that is not TLS: the caller vouches
	// that it runs inside an SSH tunnel or to a loopback address.
	PlaintextOK bool
	// AllowPreauth accepts a PREAUTH greeting: only for command tunnels (e.g.
	// `ssh host /usr/lib/dovecot/imap`), where the server process runs as the user.
	AllowPreauth bool

	User     string
	Password func(context.Context) (string, error)
	Auth     string // "auto" (default), "plain", "login", "oauth2"

	// Keep opens folders read-only (EXAMINE): nothing on the server can change.
	Keep bool
	Log  *slog.Logger

	// MaxLine bounds one response from the server, message bodies excepted: its text
	// and the literals go-imap holds in memory. 0 means DefaultMaxLine.
	MaxLine int
	// GreetingTimeout bounds the time from connecting to the end of STARTTLS, however
	// slowly the server trickles bytes (the inactivity watchdog bounds each wait only).
	// 0 means DefaultGreetingTimeout.
	GreetingTimeout time.Duration
	// Delim asks the server for its hierarchy separator (LIST "" ""), for sinks that
	// split folder names into levels (maildir_folders).
	Delim bool
}

// DefaultGreetingTimeout is the default of Options.GreetingTimeout: a greeting and a
// TLS handshake take well under a second; a server that needs minutes is stalling.
const DefaultGreetingTimeout = 2 * time.Minute

// Source is an authenticated IMAP session.
type Source struct {
	c          *imapclient.Client
	wire       *wire // the stream go-imap reads, checked
	conn       net.Conn
	opts       Options
	tc         fetch.TimeoutConn // nil if the connection has no watchdog
	idle       idleState         // new-mail notifications for a Watcher (idle.go)
	delim      rune              // the hierarchy separator, once asked (Options.Delim)
	delimKnown bool
	ns         *string // personal namespace prefix, once asked (namespace.go)
}

// New starts a session on conn: greeting, STARTTLS if asked, authentication.
// On error the connection is closed.
func New(ctx context.Context, conn net.Conn, opts Options) (*Source, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Source{conn: conn, opts: opts}
	s.tc, _ = conn.(fetch.TimeoutConn)
	err := s.start(ctx)
	if err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

func (s *Source) start(ctx context.Context) error {
	defer s.busy()()
	stop := context.AfterFunc(ctx, func() { s.conn.Close() })
	defer stop()
	if err := s.greetInTime(); err != nil {
		return err
	}
	if s.c.State() == imap.ConnStateAuthenticated {
		s.opts.Log.Debug("IMAP PREAUTH accepted on a command tunnel")
		return nil
	}
	return s.login(ctx)
}

// greetInTime runs greet within GreetingTimeout.
func (s *Source) greetInTime() error {
	limit := s.opts.GreetingTimeout
	if limit <= 0 {
		limit = DefaultGreetingTimeout
	}
	timer := time.AfterFunc(limit, func() { s.conn.Close() })
	err := s.greet()
	if !timer.Stop() {
		return fail.Errorf(fail.Temporary, "the server did not finish its greeting and STARTTLS within %s", limit)
	}
	return err
}

// greet reads the greeting, running STARTTLS first if asked, and starts go-imap on the
// checked stream.
func (s *Source) greet() error {
	opts := &imapclient.Options{UnilateralDataHandler: s.idle.handler()}
	if s.opts.StartTLS != nil {
		tc, err := s.startTLS()
		if err != nil {
			return err
		}
		s.wire = newWire(tc, io.MultiReader(strings.NewReader(tlsGreeting), tc), s.opts.MaxLine)
		s.c, s.opts.TLS = imapclient.New(s.wire, opts), true
		s.opts.Log.Debug("IMAP STARTTLS done")
	} else {
		s.wire = newWire(s.conn, s.conn, s.opts.MaxLine)
		s.c = imapclient.New(s.wire, opts)
	}
	if err := s.c.WaitGreeting(); err != nil {
		return s.cmdError("read IMAP greeting", err)
	}
	if s.c.State() == imap.ConnStateAuthenticated && (!s.opts.AllowPreauth || s.opts.StartTLS != nil) {
		return fail.Hint(fail.Security, errors.New("the server greeted with PREAUTH on a network connection"),
			"PREAUTH is only accepted through tunnel_command; this may be an attack on the connection")
	}
	return nil
}

func (s *Source) maxLine() int {
	if s.opts.MaxLine > 0 {
		return s.opts.MaxLine
	}
	return DefaultMaxLine
}

// cmdError classifies a failed command. A tagged NO or BAD is the server's answer
// and says "try again later"; anything else is explained by the stream (a lost
// connection, a refused or unparsable reply).
func (s *Source) cmdError(what string, err error) error {
	var ie *imap.Error
	if errors.As(err, &ie) || s.wire == nil {
		return fail.Wrap(fail.Temporary, fmt.Errorf("%s: %w", what, err))
	}
	if isClosed(err) {
		if derr := s.decodeError(); derr != nil {
			err = derr
		}
	}
	return s.wire.errorOf(what, err)
}

// decodeError returns the reason go-imap closed a connection whose stream was still
// sound (no read error, nothing refused by the wire): a reply it could not parse. It
// closes the connection then, and a command not yet written when that happens fails
// with net.ErrClosed, which alone would read as a lost connection. nil otherwise.
func (s *Source) decodeError() error {
	select {
	case <-s.c.Closed():
	case <-time.After(time.Second): // the reader is still running: not a parse failure
		return nil
	}
	if !s.wire.sound() {
		return nil
	}
	// With the reader stopped, Close returns the error that stopped it, if any.
	if err := s.c.Close(); err != nil && !isClosed(err) {
		return err
	}
	return nil
}

// busy arms the connection's watchdog while the caller waits for the server, and
// returns the function that disarms it.
func (s *Source) busy() func() {
	if s.tc == nil {
		return func() {}
	}
	s.tc.Arm(true)
	return func() { s.tc.Arm(false) }
}

// awaitDecoder waits until go-imap's reader goroutine has stopped, after a literal
// failed to read (the connection broke inside it). go-imap releases that goroutine as
// soon as the read fails, yet its FetchCommand.Next and Close read the literal again
// to discard it: done while the goroutine still runs, both touch the same
// bufio.Reader, a data race in go-imap (beta.8). The goroutine stops by itself, since
// nothing can be parsed while the literal is open; the wait is bounded all the same.
func (s *Source) awaitDecoder() {
	select {
	case <-s.c.Closed():
	case <-time.After(30 * time.Second):
		s.abort()
		<-s.c.Closed()
	}
}

// abort drops the connection without a goodbye.
func (s *Source) abort() {
	if s.c != nil {
		s.c.Close()
	}
	s.conn.Close()
}

// Close logs out (bounded by the watchdog) and closes the connection.
func (s *Source) Close() error {
	defer s.abort()
	defer s.busy()()
	done := make(chan error, 1)
	go func() { done <- s.c.Logout().Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	return nil
}

// saslClient returns the mechanism to use, or nil for the LOGIN command.
func (s *Source) saslClient(pass string) (sasl.Client, error) {
	caps := s.c.Caps()
	switch s.opts.Auth {
	case "oauth2":
		mech := bearer.Choose(func(m string) bool { return caps.Has(imap.AuthCap(m)) })
		if mech == "" {
			return nil, fail.Errorf(fail.Auth, "the server offers neither OAUTHBEARER nor XOAUTH2")
		}
		return bearer.New(mech, s.opts.User, pass), nil
	case "login":
		return nil, nil
	case "plain":
		return sasl.NewPlainClient("", s.opts.User, pass), nil
	}
	if caps.Has(imap.AuthCap(sasl.Plain)) {
		return sasl.NewPlainClient("", s.opts.User, pass), nil
	}
	return nil, nil
}
