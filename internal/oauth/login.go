package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/oauth2"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Flow is how `fetchsecure oauth login` gets the user's consent.
type Flow int

const (
	DefaultFlow Flow = iota // the provider's usual one: browser for Google, device code for Microsoft
	DeviceFlow              // RFC 8628: a code to enter on any device with a browser
	BrowserFlow             // RFC 8252: a browser on this machine, redirected back to a loopback port
)

// LoginOptions tell Login how to talk to the user.
type LoginOptions struct {
	Flow Flow
	// Out receives the instructions: the URL to open and the code to enter.
	Out io.Writer
	// Open, if set, is asked to open the URL in a browser (browser flow).
	Open func(url string) error
	// Paste, if set, is read for the address the browser was sent back to, for when
	// the browser runs on another machine and cannot reach the loopback port.
	Paste io.Reader
	// Timeout bounds the wait for the user in the browser flow; 0 means 10 minutes.
	// The device flow waits as long as its code lives.
	Timeout time.Duration
}

// Login asks the user to sign in and stores the refresh token it obtains. An account
// already logged in is logged in again (a new refresh token replaces the old one).
func (c *Client) Login(ctx context.Context, opts LoginOptions) error {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	var tok *oauth2.Token
	var err error
	switch c.flow(opts.Flow) {
	case DeviceFlow:
		tok, err = c.deviceLogin(ctx, opts)
	default:
		tok, err = c.browserLogin(ctx, opts)
	}
	if err != nil {
		return err
	}
	if tok.RefreshToken == "" {
		return fail.Hint(fail.Auth, fmt.Errorf("account %s: the provider returned no refresh token", c.account),
			`add "offline_access" to oauth_scopes (Microsoft and most others require it), or check the provider's documentation`)
	}
	r := &record{}
	c.update(r, tok)
	defer c.lock()()
	if err := c.store.Save(ctx, r); err != nil {
		return fmt.Errorf("account %s: save the token: %w", c.account, err)
	}
	return nil
}

// flow picks the flow: the one asked for if the provider has its endpoint, else the
// provider's default.
func (c *Client) flow(f Flow) Flow {
	switch {
	case f == DeviceFlow || (f == DefaultFlow && c.p.device):
		return DeviceFlow
	}
	return BrowserFlow
}

// Logout deletes the stored tokens; it reports whether there were any. The provider
// still knows the grant: revoke it in the account's security settings to end it.
func (c *Client) Logout(ctx context.Context) (bool, error) {
	defer c.lock()()
	return c.store.Delete(ctx)
}

// Where says where the tokens are stored, for messages.
func (c *Client) Where() string { return c.store.String() }

var errNoEndpoint = errors.New("the provider has no endpoint for this flow")

func (c *Client) needEndpoint(url, key, flag string) error {
	if url != "" {
		return nil
	}
	return fail.Hint(fail.Usage, fmt.Errorf("account %s: %w", c.account, errNoEndpoint),
		fmt.Sprintf("set %s, or use %s", key, flag))
}
