// Package bearer is the client side of the SASL mechanisms that carry an OAuth 2.0
// access token: OAUTHBEARER (RFC 7628) and XOAUTH2, the older form Gmail and Microsoft
// 365 introduced and still offer. go-sasl has an OAUTHBEARER client, but it answers a
// failure challenge with a Go error instead of the dummy response RFC 7628 §3.2.3
// requires, which leaves the command open; these clients finish the exchange, so the
// server's tagged NO or -ERR reports the failure like any refused login.
package bearer

import (
	"encoding/json"
	"strings"
	"unicode"

	"github.com/emersion/go-sasl"
)

// Mechanism names.
const (
	OAuthBearer = "OAUTHBEARER" // RFC 7628
	XOAuth2     = "XOAUTH2"     // https://developers.google.com/gmail/imap/xoauth2-protocol
)

// Choose returns the mechanism to use, the standard one first, given a test of what
// the server offers, or "" if it offers neither.
func Choose(offers func(mech string) bool) string {
	for _, m := range []string{OAuthBearer, XOAuth2} {
		if offers(m) {
			return m
		}
	}
	return ""
}

// Client is a SASL client for one bearer mechanism. After a failed exchange, Status
// says why the server refused the token.
type Client struct {
	mech, user, token string
	status            string
}

// New returns a client for mech (OAuthBearer or XOAuth2) that logs in as user with
// the access token.
func New(mech, user, token string) *Client { return &Client{mech: mech, user: user, token: token} }

var _ sasl.Client = (*Client)(nil)

// Start returns the initial response: RFC 7628 §3.1 for OAUTHBEARER (with the user as
// authorization identity, as Gmail and Microsoft require), Google's format for XOAUTH2.
func (c *Client) Start() (string, []byte, error) {
	if c.mech == XOAuth2 {
		return XOAuth2, []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
	}
	return OAuthBearer, []byte("n,a=" + saslName(c.user) + ",\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the only challenge these mechanisms have, the server's JSON error
// (RFC 7628 §3.2.2): it keeps the status for the message and sends the dummy response
// (%x01 for OAUTHBEARER, an empty one for XOAUTH2), after which the server fails the
// command.
func (c *Client) Next(challenge []byte) ([]byte, error) {
	var e struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(challenge, &e) == nil {
		c.status = clean(e.Status)
	}
	if c.mech == XOAuth2 {
		return []byte{}, nil
	}
	return []byte{0x01}, nil
}

// Status is the error status the server sent ("invalid_token", "401"), or "".
func (c *Client) Status() string { return c.status }

// saslName escapes "," and "=" in an authorization identity (RFC 5801 §5).
func saslName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// clean keeps a server-chosen status short and printable.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "")
	}
	return s
}
