package oauthtest

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// IMAPServer is go-imap's in-memory server with one user who logs in only with a
// bearer token (OAUTHBEARER or XOAUTH2); passwords are refused.
type IMAPServer struct {
	Addr string
	User *imapmemserver.User

	mu     sync.Mutex
	tokens []string // every token presented, accepted or not
	mechs  []string // the mechanism of each
}

// StartIMAP serves user's mailbox (INBOX created) on 127.0.0.1, over TLS if tlsCfg is
// set, accepting the tokens valid approves for user. mechs are the mechanisms offered,
// e.g. "OAUTHBEARER", "XOAUTH2".
func StartIMAP(t testing.TB, user string, valid func(token string) bool, tlsCfg *tls.Config, mechs ...string) *IMAPServer {
	t.Helper()
	u := imapmemserver.NewUser(user, "")
	u.Create("INBOX", nil)
	s := &IMAPServer{User: u}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &bearerSession{srv: s, name: user, valid: valid, mechs: mechs}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}},
		InsecureAuth: tlsCfg == nil,
		Logger:       quiet{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.Addr = ln.Addr().String()
	return s
}

// Tokens returns every token clients presented.
func (s *IMAPServer) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// Mechanisms returns the SASL mechanism of each token presented.
func (s *IMAPServer) Mechanisms() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.mechs...)
}

// Append adds a message to INBOX.
func (s *IMAPServer) Append(t testing.TB, msg []byte) {
	t.Helper()
	if _, err := s.User.Append("INBOX", literal{bytes.NewReader(msg), int64(len(msg))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

type literal struct {
	*bytes.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// bearerSession authenticates with SASL only.
type bearerSession struct {
	*imapmemserver.UserSession // nil until authenticated
	srv                        *IMAPServer
	name                       string
	valid                      func(string) bool
	mechs                      []string
}

var _ imapserver.SessionSASL = (*bearerSession)(nil)

func (s *bearerSession) Login(string, string) error { return imapserver.ErrAuthFailed }

func (s *bearerSession) Close() error {
	if s.UserSession == nil {
		return nil
	}
	return s.UserSession.Close()
}

func (s *bearerSession) AuthenticateMechanisms() []string { return s.mechs }

func (s *bearerSession) Authenticate(mech string) (sasl.Server, error) {
	for _, m := range s.mechs {
		if m == mech {
			return &bearerServer{mech: mech, check: func(user, token string) bool { return s.check(mech, user, token) }}, nil
		}
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "mechanism not offered"}
}

func (s *bearerSession) check(mech, user, token string) bool {
	s.srv.mu.Lock()
	s.srv.tokens = append(s.srv.tokens, token)
	s.srv.mechs = append(s.srv.mechs, mech)
	s.srv.mu.Unlock()
	if user != s.name || !s.valid(token) {
		return false
	}
	s.UserSession = imapmemserver.NewUserSession(s.srv.User)
	return true
}

// bearerServer is the server side of OAUTHBEARER and XOAUTH2: on a bad token it sends
// the JSON error challenge (RFC 7628 §3.2.2), then fails with NO after the client's
// dummy response, as Gmail does.
type bearerServer struct {
	mech   string
	check  func(user, token string) bool
	failed bool
}

func (b *bearerServer) Next(resp []byte) ([]byte, bool, error) {
	if b.failed {
		return nil, true, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed,
			Text: "invalid token"}
	}
	if resp == nil {
		return nil, false, nil // ask for the initial response ("+ ")
	}
	user, token := parse(b.mech, string(resp))
	if b.check(user, token) {
		return nil, true, nil
	}
	b.failed = true
	challenge, _ := json.Marshal(map[string]string{"status": "invalid_token", "schemes": "bearer"})
	return challenge, false, nil
}

// parse reads the user and token of an initial response.
func parse(mech, ir string) (user, token string) {
	fields := strings.Split(ir, "\x01")
	if mech == "OAUTHBEARER" {
		for _, p := range strings.Split(fields[0], ",") {
			if u, ok := strings.CutPrefix(p, "a="); ok {
				user = strings.NewReplacer("=2C", ",", "=3D", "=").Replace(u)
			}
		}
	}
	for _, f := range fields {
		if u, ok := strings.CutPrefix(f, "user="); ok {
			user = u
		}
		if t, ok := strings.CutPrefix(f, "auth=Bearer "); ok {
			token = t
		}
	}
	return user, token
}
