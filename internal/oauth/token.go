package oauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// margin is how long before its expiry an access token is no longer used: it must
// still be valid when the server checks it, a moment after, on a clock that may differ.
const margin = 2 * time.Minute

// locks serializes the refreshes of one store within the process: two connections of
// one account (IDLE watchers) must not both spend a refresh token that rotates.
var locks sync.Map // Store.String() → *sync.Mutex

func (c *Client) lock() func() {
	m, _ := locks.LoadOrStore(c.store.String(), new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// AccessToken returns a valid access token: the stored one while it is fresh by the
// wall clock, else a new one from the token endpoint, which is stored (with the new
// refresh token, if the provider rotates them) before it is returned.
func (c *Client) AccessToken(ctx context.Context) (secret.Secret, error) {
	defer c.lock()()
	r, err := c.load(ctx)
	if err != nil {
		return "", err
	}
	if r.AccessToken != "" && c.fresh(r.Expiry) {
		return secret.Secret(r.AccessToken), nil
	}
	tok, err := c.refresh(ctx, r.RefreshToken)
	if err != nil {
		return "", err
	}
	c.update(r, tok)
	if err := c.store.Save(ctx, r); err != nil {
		return "", fmt.Errorf("account %s: save the refreshed token: %w", c.account, err)
	}
	return secret.Secret(r.AccessToken), nil
}

// Forget drops the stored access token (not the refresh token), so that the next use
// refreshes it: for when the server refused it before its time (a revoked session, a
// password change).
func (c *Client) Forget(ctx context.Context) error {
	defer c.lock()()
	r, err := c.store.Load(ctx)
	if err != nil || r.AccessToken == "" {
		return nil
	}
	r.AccessToken, r.Expiry = "", time.Time{}
	return c.store.Save(ctx, r)
}

// load returns the stored record, which must have been issued to this client.
func (c *Client) load(ctx context.Context) (*record, error) {
	r, err := c.store.Load(ctx)
	if errors.Is(err, secret.ErrNotStored) {
		return nil, fail.Hint(fail.Config, fmt.Errorf("account %s has no OAuth2 token (%v)", c.account, err), c.loginHint())
	}
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", c.account, err)
	}
	if r.ClientID != c.o.ClientID || r.TokenURL != c.p.tokenURL {
		return nil, fail.Hint(fail.Config, fmt.Errorf("account %s: the stored OAuth2 token was issued to another client "+
			"(oauth_client_id or the provider changed since the login)", c.account), c.loginHint())
	}
	return r, nil
}

// fresh reports whether a token expiring at expiry is still good to use. Both sides
// are wall-clock times (Round(0) drops a monotonic reading), so a suspended laptop
// wakes up to an expired token, not to one that seems to have time left. A token
// without an expiry is not reused.
func (c *Client) fresh(expiry time.Time) bool {
	return !expiry.IsZero() && c.now().Round(0).Add(margin).Before(expiry.Round(0))
}

// refresh redeems the refresh token (RFC 6749 §6).
func (c *Client) refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	conf, err := c.config(ctx, "")
	if err != nil {
		return nil, err
	}
	tok, err := conf.TokenSource(c.withHTTP(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, c.tokenError(ctx, "refresh the access token", err, refreshToken, conf.ClientSecret)
	}
	return tok, nil
}

// update puts a token response into the record, keeping the refresh token if the
// provider sent none (most do not rotate it) and the expiry as a UTC date.
func (c *Client) update(r *record, tok *oauth2.Token) {
	r.AccessToken, r.TokenType = tok.AccessToken, tok.TokenType
	if tok.RefreshToken != "" {
		r.RefreshToken = tok.RefreshToken
	}
	r.Expiry = time.Time{}
	if !tok.Expiry.IsZero() {
		r.Expiry = tok.Expiry.Round(0).UTC()
	}
	r.ClientID, r.TokenURL = c.o.ClientID, c.p.tokenURL
}

// AccessToken returns a valid access token for account a (see Client.AccessToken).
func AccessToken(ctx context.Context, a *config.Account) (string, error) {
	c, err := New(a)
	if err != nil {
		return "", err
	}
	tok, err := c.AccessToken(ctx)
	return tok.Reveal(), err
}

// Forget drops account a's stored access token, best effort (see Client.Forget).
func Forget(a *config.Account) {
	c, err := New(a)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c.Forget(ctx)
}
