package pop3

import (
	"errors"
	"fmt"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/oauth/bearer"
)

// oauth2 is AUTH OAUTHBEARER (RFC 7628) or, if the server offers only that, AUTH
// XOAUTH2 (Gmail, Microsoft 365), with an access token as the credential. A token is
// as good as a password while it lives, so the plaintext policy applies to it too.
func (c *Client) oauth2(user, token string) error {
	if err := c.plaintextPolicy("an OAuth2 token"); err != nil {
		return err
	}
	mech := bearer.Choose(c.hasSASL)
	if mech == "" {
		return fail.Hint(fail.Auth, errors.New("the server offers neither AUTH OAUTHBEARER nor AUTH XOAUTH2 (CAPA SASL)"),
			`this server does not take OAuth2 tokens over POP3; use another auth, or IMAP`)
	}
	client := bearer.New(mech, user, token)
	err := c.sasl(client)
	if err == nil {
		return nil
	}
	if s := client.Status(); s != "" {
		err = fmt.Errorf("%w (token status %q)", err, s)
	}
	err = fmt.Errorf("login as %q with %s: %w", user, mech, err)
	if fail.KindOf(err) != fail.Auth {
		return err
	}
	return fail.Hint(fail.Auth, err,
		"the server refused the access token: run `fetchsecure oauth login` for the account again, or check token_command")
}
