package imap

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// login authenticates, refusing to send a credential on an unprotected stream.
func (s *Source) login(ctx context.Context) error {
	if !s.opts.TLS && !s.opts.PlaintextOK {
		return fail.Hint(fail.Security, errors.New("refusing to send the password over a connection without TLS"),
			`use tls = "tls" or "starttls", or reach the server through an SSH tunnel`)
	}
	if s.c.Caps().Has(imap.CapLoginDisabled) && s.opts.Auth != "oauth2" {
		return fail.Errorf(fail.Security, "the server disabled login on this connection (LOGINDISABLED)")
	}
	if s.opts.Password == nil {
		return fail.Errorf(fail.Config, "no password for %s", s.opts.User)
	}
	pass, err := s.opts.Password(ctx)
	if err != nil {
		return err
	}
	mech, err := s.saslClient(pass)
	if err != nil {
		return err
	}
	if mech != nil {
		err = s.c.Authenticate(mech)
	} else {
		err = s.c.Login(s.opts.User, pass).Wait()
	}
	if err != nil {
		return s.authError(err)
	}
	s.opts.Log.Debug("IMAP logged in", "user", s.opts.User)
	return nil
}

// authError classifies a failed login. Only a NO is a verdict on the credentials;
// [UNAVAILABLE] and the like say "try later", anything else broke the session.
func (s *Source) authError(err error) error {
	user := s.opts.User
	hint := "check user and password (or password_command) for this account"
	if s.opts.Auth == "oauth2" {
		hint = "the server refused the access token: run `fetchsecure oauth login` for the account again, or check token_command"
	}
	var ie *imap.Error
	if !errors.As(err, &ie) {
		return s.cmdError(fmt.Sprintf("login as %q", user), err)
	}
	what := "login"
	if s.opts.Auth == "oauth2" {
		what = "token"
	}
	msg := fmt.Errorf("the server refused the %s of %q: %s", what, user, strings.TrimSpace(ie.Text))
	switch ie.Code {
	case imap.ResponseCodeUnavailable, imap.ResponseCodeInUse, imap.ResponseCodeServerBug:
		return fail.Wrap(fail.Temporary, msg)
	}
	if ie.Type == imap.StatusResponseTypeBad {
		return fail.Wrap(fail.Protocol, msg)
	}
	return fail.Hint(fail.Auth, msg, hint)
}
