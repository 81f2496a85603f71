package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"golang.org/x/oauth2"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// tokenError classifies a failed request to the provider. The message is built from
// the RFC 6749 §5.2 error code and description only: RetrieveError.Error() would show
// the response body, which a misbehaving server may fill with anything. The secrets
// of the request (a refresh token, a code) are masked should the description echo
// them.
func (c *Client) tokenError(ctx context.Context, what string, err error, secrets ...string) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		if ctx.Err() != nil {
			return fmt.Errorf("account %s: %s: %w", c.account, what, ctx.Err())
		}
		return fail.Hint(fail.Temporary, fmt.Errorf("account %s: %s: %w", c.account, what, err),
			"the provider could not be reached; fetchsecure tries again on the next run")
	}
	msg := fmt.Errorf("account %s: %s: %s", c.account, what, describe(re, secrets))
	switch re.ErrorCode {
	case "invalid_grant":
		return fail.Hint(fail.Auth, msg, "the refresh token was revoked or has expired: "+c.loginHint())
	case "invalid_client", "unauthorized_client":
		return fail.Hint(fail.Config, msg, "check oauth_client_id and the client secret against your app registration")
	case "invalid_scope":
		return fail.Hint(fail.Config, msg, "check oauth_scopes, and the API permissions of your app registration")
	case "access_denied":
		return fail.Hint(fail.Auth, msg, "the sign-in was declined; "+c.loginHint()+" to try again")
	case "expired_token":
		return fail.Hint(fail.Auth, msg, "the code was not entered in time; "+c.loginHint()+" to try again")
	}
	if s := status(re); s == http.StatusTooManyRequests || s >= 500 {
		return fail.Wrap(fail.Temporary, msg)
	}
	return fail.Wrap(fail.Auth, msg)
}

// describe says what the provider answered, without its body.
func describe(re *oauth2.RetrieveError, secrets []string) string {
	if re.ErrorCode == "" {
		return fmt.Sprintf("the provider answered HTTP %d", status(re))
	}
	s := fmt.Sprintf("the provider answered %q", clean(mask(re.ErrorCode, secrets), 60))
	if re.ErrorDescription != "" {
		s += ": " + clean(mask(re.ErrorDescription, secrets), 300)
	}
	return s
}

func status(re *oauth2.RetrieveError) int {
	if re.Response == nil {
		return 0
	}
	return re.Response.StatusCode
}

// clean keeps server-chosen text printable and short.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return strings.TrimSpace(s)
}

// mask replaces every occurrence of the secrets in s by ***.
func mask(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}
