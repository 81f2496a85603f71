// Package oauth is fetchsecure's built-in OAuth 2.0 client for mail servers that take
// bearer tokens (Gmail, Microsoft 365 and others): `fetchsecure oauth login` obtains a
// refresh token once, with the device authorization grant (RFC 8628) or the
// authorization code grant through a loopback redirect with PKCE (RFC 8252, RFC 7636),
// and every run then turns it into a short-lived access token without asking anyone.
//
// Tokens are kept in a 0600 file under state_dir/oauth2 or in the OS keyring. An access
// token is reused until two minutes before it expires by the wall clock: a cached
// token's expiry is compared as a date, never with Go's monotonic clock, which stops
// while a laptop sleeps, so a token that expired during the night is refreshed in the
// morning instead of being refused by the server.
//
// Secrets never leave through errors: token endpoint failures are reported by their
// RFC 6749 §5.2 error code and description, never by the response body.
package oauth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Client is the OAuth2 client of one account.
type Client struct {
	account string
	user    string
	o       *config.OAuth
	p       provider
	store   Store
	http    *http.Client
	now     func() time.Time // the wall clock; tests move it
}

// httpTimeout bounds each request to the provider.
const httpTimeout = 60 * time.Second

// New returns the client of account a, which must have an oauth_provider.
func New(a *config.Account) (*Client, error) {
	if a.OAuth == nil {
		return nil, fail.Hint(fail.Config, fmt.Errorf("account %s has no built-in OAuth2 client", a.Name),
			`set auth = "oauth2" and oauth_provider (and oauth_client_id) for it`)
	}
	return &Client{account: a.Name, user: a.User, o: a.OAuth, p: presetFor(a.OAuth),
		store: NewStore(a.Name, a.OAuth), http: &http.Client{Timeout: httpTimeout}, now: time.Now}, nil
}

// config returns the oauth2 configuration, with the client secret resolved.
func (c *Client) config(ctx context.Context, redirect string) (*oauth2.Config, error) {
	conf := &oauth2.Config{ClientID: c.o.ClientID, Scopes: c.p.scopes, RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{AuthURL: c.p.authURL, TokenURL: c.p.tokenURL,
			DeviceAuthURL: c.p.deviceURL, AuthStyle: c.p.authStyle}}
	if !c.o.ClientSecret.IsZero() {
		s, err := c.o.ClientSecret.Resolve(ctx)
		if err != nil {
			return nil, fmt.Errorf("account %s: oauth client secret: %w", c.account, err)
		}
		conf.ClientSecret = s.Reveal()
	}
	return conf, nil
}

// withHTTP makes the oauth2 library use this client's bounded HTTP client.
func (c *Client) withHTTP(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.http)
}

// loginHint is the command that fixes a missing or dead refresh token.
func (c *Client) loginHint() string {
	name := c.account
	if strings.ContainsAny(name, " \t\"'$`\\") {
		name = "'" + strings.ReplaceAll(name, "'", `'\''`) + "'"
	}
	return "run `fetchsecure oauth login " + name + "`"
}
