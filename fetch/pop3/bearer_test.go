package pop3

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

const goodToken = "ya29.a0-access-token"

func bearerServer(t *testing.T, caps string) *fakepop3.Server {
	return fakepop3.Start(t, fakepop3.Config{
		ExtraCaps: []string{caps},
		Messages:  [][]byte{[]byte("Subject: hi\r\n\r\nbody\r\n")},
		Hook: fakepop3.Bearer(func(user, token string) bool {
			return user == "me@example.org" && token == goodToken
		}),
	})
}

func TestLoginOAuth2(t *testing.T) {
	long := goodToken + strings.Repeat("x", 2000) // real tokens do not fit in 255 octets
	for _, tc := range []struct {
		name, caps, token, mech string
	}{
		{"prefers OAUTHBEARER", "SASL XOAUTH2 OAUTHBEARER", goodToken, "OAUTHBEARER"},
		{"XOAUTH2 only", "SASL PLAIN XOAUTH2", goodToken, "XOAUTH2"},
		{"long token", "SASL OAUTHBEARER", long, "OAUTHBEARER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakepop3.Start(t, fakepop3.Config{ExtraCaps: []string{tc.caps},
				Hook: fakepop3.Bearer(func(user, token string) bool { return user == "me@example.org" && token == tc.token })})
			var trace bytes.Buffer
			c := connect(t, srv, Options{Auth: "oauth2", PlaintextOK: true, Trace: &trace})
			if err := c.Login("me@example.org", tc.token); err != nil {
				t.Fatalf("Login() = %v", err)
			}
			if cmds := srv.Commands(); cmds[1].Verb != "AUTH" || !strings.HasPrefix(cmds[1].Arg, tc.mech) {
				t.Errorf("AUTH line %q, want mechanism %s", cmds[1].Line, tc.mech)
			}
			if strings.Contains(trace.String(), "access-token") || !strings.Contains(trace.String(), "AUTH "+tc.mech) {
				t.Errorf("trace:\n%s", trace.String())
			}
		})
	}
}

func TestLoginOAuth2Refused(t *testing.T) {
	for _, caps := range []string{"SASL OAUTHBEARER", "SASL XOAUTH2"} {
		srv := bearerServer(t, caps)
		c := connect(t, srv, Options{Auth: "oauth2", PlaintextOK: true})
		err := c.Login("me@example.org", "expired-token")
		if fail.KindOf(err) != fail.Auth || !strings.Contains(err.Error(), `token status "invalid_token"`) ||
			strings.Contains(err.Error(), "expired-token") || !strings.Contains(fail.HintOf(err), "oauth login") {
			t.Errorf("%s: err = %v (%v)", caps, err, fail.KindOf(err))
		}
		// The exchange was finished properly: the session still answers.
		if err := c.Login("me@example.org", goodToken); err != nil {
			t.Errorf("%s: second Login() = %v", caps, err)
		}
	}
}

func TestLoginOAuth2Policy(t *testing.T) {
	srv := bearerServer(t, "SASL PLAIN")
	c := connect(t, srv, Options{Auth: "oauth2", PlaintextOK: true})
	if err := c.Login("me@example.org", goodToken); fail.KindOf(err) != fail.Auth ||
		!strings.Contains(err.Error(), "neither AUTH OAUTHBEARER nor AUTH XOAUTH2") {
		t.Errorf("no bearer mechanism: %v", err)
	}
	srv = bearerServer(t, "SASL OAUTHBEARER")
	c = connect(t, srv, Options{Auth: "oauth2"})
	if err := c.Login("me@example.org", goodToken); fail.KindOf(err) != fail.Security || srv.Saw("AUTH") {
		t.Errorf("plaintext: %v; server saw %v", err, srv.Verbs())
	}
}
