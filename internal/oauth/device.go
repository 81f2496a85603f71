package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// deviceLogin runs the device authorization grant (RFC 8628): the user opens a URL on
// any device, enters a short code and consents, while this process polls the token
// endpoint at the interval the provider asks for (slowing down when told to, §3.5).
func (c *Client) deviceLogin(ctx context.Context, opts LoginOptions) (*oauth2.Token, error) {
	if err := c.needEndpoint(c.p.deviceURL, "oauth_device_url", "--browser"); err != nil {
		return nil, err
	}
	conf, err := c.config(ctx, "")
	if err != nil {
		return nil, err
	}
	ctx = c.withHTTP(ctx)
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		err = c.tokenError(ctx, "start the device login", err, conf.ClientSecret)
		if c.o.Provider == config.Google {
			err = fail.Hint(fail.KindOf(err), err, "Google allows no mail scope in its device flow: use --browser")
		}
		return nil, err
	}
	fmt.Fprintf(opts.Out, "To sign in to account %s as %s, open\n\n    %s\n\nand enter the code\n\n    %s\n\n",
		c.account, c.user, da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(opts.Out, "(or open %s, which has the code in it)\n", da.VerificationURIComplete)
	}
	if !da.Expiry.IsZero() {
		fmt.Fprintf(opts.Out, "The code is valid for %d minutes. Waiting...\n", int(time.Until(da.Expiry).Round(time.Minute).Minutes()))
	}
	tok, err := conf.DeviceAccessToken(ctx, da)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, fail.Hint(fail.Auth, fmt.Errorf("account %s: the code expired before the sign-in was completed", c.account),
			c.loginHint()+" again")
	}
	if err != nil {
		return nil, c.tokenError(ctx, "device login", err, da.DeviceCode, conf.ClientSecret)
	}
	return tok, nil
}
