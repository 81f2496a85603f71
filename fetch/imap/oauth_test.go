package imap

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/oauth/oauthtest"
)

// Bearer logins against a server that checks the token: each mechanism alone, the
// standard one preferred, and a refused token reported as a refused login.
func TestOAuth2Login(t *testing.T) {
	const good = "at-good-token"
	for _, tc := range []struct {
		mechs []string
		token string
		kind  fail.Kind // fail.Internal: success
		used  string    // the mechanism the server saw
	}{
		{[]string{"XOAUTH2", "OAUTHBEARER"}, good, fail.Internal, "OAUTHBEARER"},
		{[]string{"XOAUTH2"}, good, fail.Internal, "XOAUTH2"},
		{[]string{"OAUTHBEARER"}, "at-expired", fail.Auth, "OAUTHBEARER"},
		{[]string{"XOAUTH2"}, "at-expired", fail.Auth, "XOAUTH2"},
		{[]string{"PLAIN"}, good, fail.Auth, ""},
	} {
		srv := oauthtest.StartIMAP(t, "me@example.org", func(tok string) bool { return tok == good }, nil, tc.mechs...)
		conn, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		s, err := New(ctx, conn, Options{PlaintextOK: true, User: "me@example.org", Auth: "oauth2",
			Password: func(context.Context) (string, error) { return tc.token, nil }})
		cancel()
		if fail.KindOf(err) != tc.kind && !(err == nil && tc.kind == fail.Internal) {
			t.Errorf("%v with %s: %v (%v)", tc.mechs, tc.token, err, fail.KindOf(err))
		}
		if err != nil && (strings.Contains(err.Error(), tc.token) || !strings.Contains(fail.HintOf(err)+err.Error(), "oauth")) &&
			tc.mechs[0] != "PLAIN" {
			t.Errorf("%v: error %q (hint %q)", tc.mechs, err, fail.HintOf(err))
		}
		if s != nil {
			s.Close()
		}
		if got := strings.Join(srv.Mechanisms(), " "); got != tc.used {
			t.Errorf("%v: the server saw mechanisms %q, want %q", tc.mechs, got, tc.used)
		}
	}
}
