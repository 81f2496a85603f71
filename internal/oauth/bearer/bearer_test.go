package bearer

import (
	"bytes"
	"testing"

	"github.com/emersion/go-sasl"
)

func TestStart(t *testing.T) {
	for _, tc := range []struct{ mech, user, want string }{
		{XOAuth2, "me@example.org", "user=me@example.org\x01auth=Bearer tok\x01\x01"},
		{OAuthBearer, "me@example.org", "n,a=me@example.org,\x01auth=Bearer tok\x01\x01"},
		{OAuthBearer, "a,b=c", "n,a=a=2Cb=3Dc,\x01auth=Bearer tok\x01\x01"},
	} {
		mech, ir, err := New(tc.mech, tc.user, "tok").Start()
		if mech != tc.mech || string(ir) != tc.want || err != nil {
			t.Errorf("%s %s: Start = %q, %q, %v", tc.mech, tc.user, mech, ir, err)
		}
	}
}

// The initial response is what go-sasl's own OAUTHBEARER server accepts.
func TestOAuthBearerAgainstGoSASLServer(t *testing.T) {
	var got sasl.OAuthBearerOptions
	srv := sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
		got = o
		return nil
	})
	_, ir, _ := New(OAuthBearer, "me@example.org", "tok").Start()
	if _, done, err := srv.Next(ir); !done || err != nil || got.Username != "me@example.org" || got.Token != "tok" {
		t.Errorf("server: done=%v err=%v opts=%+v", done, err, got)
	}
}

func TestFailureChallenge(t *testing.T) {
	challenge := []byte(`{"status":"invalid_token","schemes":"bearer","scope":"https://mail.google.com/"}`)
	for mech, want := range map[string][]byte{OAuthBearer: {1}, XOAuth2: {}} {
		c := New(mech, "me", "tok")
		resp, err := c.Next(challenge)
		if err != nil || !bytes.Equal(resp, want) || c.Status() != "invalid_token" {
			t.Errorf("%s: Next = %q, %v; status %q", mech, resp, err, c.Status())
		}
	}
	c := New(XOAuth2, "me", "tok")
	if _, err := c.Next([]byte("not json\x00")); err != nil || c.Status() != "" {
		t.Errorf("garbage challenge: %v, status %q", err, c.Status())
	}
}

func TestChoose(t *testing.T) {
	offers := func(list ...string) func(string) bool {
		return func(m string) bool {
			for _, l := range list {
				if l == m {
					return true
				}
			}
			return false
		}
	}
	for _, tc := range []struct {
		offered []string
		want    string
	}{
		{[]string{"PLAIN", "XOAUTH2", "OAUTHBEARER"}, OAuthBearer},
		{[]string{"PLAIN", "XOAUTH2"}, XOAuth2},
		{[]string{"PLAIN"}, ""},
	} {
		if got := Choose(offers(tc.offered...)); got != tc.want {
			t.Errorf("Choose(%v) = %q, want %q", tc.offered, got, tc.want)
		}
	}
}
