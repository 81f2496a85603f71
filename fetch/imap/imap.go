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
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
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
}

// Source is an authenticated IMAP session.
type Source struct {
	c    *imapclient.Client
	conn net.Conn
	opts Options
	tc   fetch.TimeoutConn // nil if the connection has no watchdog
	buf  []byte            // CRLF conversion buffer, reused for every message
	idle idleState         // new-mail notifications for a Watcher (idle.go)
}

// New starts a session on conn: greeting, STARTTLS if asked, authentication.
// On error the connection is closed.
func New(ctx context.Context, conn net.Conn, opts Options) (*Source, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Source{conn: conn, opts: opts, buf: make([]byte, 64<<10)}
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
	if err := s.greet(); err != nil {
		return err
	}
	if s.c.State() == imap.ConnStateAuthenticated {
		s.opts.Log.Debug("IMAP PREAUTH accepted on a command tunnel")
		return nil
	}
	return s.login(ctx)
}

// greet reads the greeting, running STARTTLS first if asked.
func (s *Source) greet() error {
	opts := &imapclient.Options{UnilateralDataHandler: s.idle.handler()}
	if s.opts.StartTLS != nil {
		opts.TLSConfig = s.opts.StartTLS
		c, err := imapclient.NewStartTLS(s.conn, opts)
		if err != nil {
			return startTLSError(err)
		}
		s.c, s.opts.TLS = c, true
		s.opts.Log.Debug("IMAP STARTTLS done")
		return nil
	}
	s.c = imapclient.New(s.conn, opts)
	if err := s.c.WaitGreeting(); err != nil {
		return fail.Wrap(fail.Temporary, fmt.Errorf("read IMAP greeting: %w", err))
	}
	if s.c.State() == imap.ConnStateAuthenticated && !s.opts.AllowPreauth {
		return fail.Hint(fail.Security, errors.New("the server greeted with PREAUTH on a network connection"),
			"PREAUTH is only accepted through tunnel_command; this may be an attack on the connection")
	}
	return nil
}

func startTLSError(err error) error {
	var ie *imap.Error
	if errors.As(err, &ie) {
		return fail.Hint(fail.Security,
			fmt.Errorf("the server refused STARTTLS (%s %s); not continuing without TLS", ie.Type, ie.Text),
			`use tls = "tls" if the server offers IMAPS (port 993)`)
	}
	if err != nil && containsPreauth(err) {
		return fail.Hint(fail.Security, fmt.Errorf("STARTTLS: %w", err),
			"a PREAUTH greeting before STARTTLS can be an attack (CVE-2021-39272); refusing")
	}
	return fail.Wrap(fail.Security, fmt.Errorf("STARTTLS: %w", err))
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
		if caps.Has(imap.AuthCap("OAUTHBEARER")) {
			return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: s.opts.User, Token: pass}), nil
		}
		if caps.Has(imap.AuthCap("XOAUTH2")) {
			return &xoauth2{user: s.opts.User, token: pass}, nil
		}
		return nil, fail.Errorf(fail.Auth, "the server offers neither OAUTHBEARER nor XOAUTH2")
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

// xoauth2 is Google's and Microsoft's pre-standard bearer mechanism (go-sasl has
// only OAUTHBEARER).
type xoauth2 struct{ user, token string }

func (x *xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the server's error challenge with an empty response; the server then
// fails the command (RFC 7628 §3.2.3 style).
func (x *xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }
