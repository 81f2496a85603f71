package oauth

import (
	"fmt"

	"golang.org/x/oauth2"

	"github.com/fetchsecure/fetchsecure/internal/config"
)

// provider is what the client needs to know about an authorization server.
type provider struct {
	authURL, tokenURL, deviceURL string
	scopes                       []string
	authStyle                    oauth2.AuthStyle
	params                       map[string]string // extra authorization request parameters
	redirectHost                 string            // host of the loopback redirect URI
	device                       bool              // the device flow is the default
}

// Scopes of the presets. Google has one scope for IMAP, POP3 and SMTP
// (https://developers.google.com/gmail/imap/xoauth2-protocol); Microsoft has one per
// protocol, and offline_access for the refresh token
// (https://learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth).
var (
	googleScopes    = []string{"https://mail.google.com/"}
	microsoftScopes = []string{"https://outlook.office.com/IMAP.AccessAsUser.All",
		"https://outlook.office.com/POP.AccessAsUser.All", "offline_access"}
)

// presetFor returns the provider an account's settings describe.
func presetFor(o *config.OAuth) provider {
	var p provider
	switch o.Provider {
	case config.Google:
		// Google's device flow refuses the mail scope, so the browser is the default;
		// it returns a refresh token only with access_type=offline, and a new one on
		// a second login only with prompt=consent.
		p = provider{authURL: "https://accounts.google.com/o/oauth2/v2/auth",
			tokenURL: "https://oauth2.googleapis.com/token", deviceURL: "https://oauth2.googleapis.com/device/code",
			scopes: googleScopes, authStyle: oauth2.AuthStyleInParams,
			params: map[string]string{"access_type": "offline", "prompt": "consent"}, redirectHost: "127.0.0.1"}
	case config.Microsoft:
		// Microsoft matches a loopback redirect registered as http://localhost, port
		// ignored; the device flow works for IMAP and POP scopes, even over ssh.
		base := fmt.Sprintf("https://login.microsoftonline.com/%s/oauth2/v2.0/", o.Tenant)
		p = provider{authURL: base + "authorize", tokenURL: base + "token", deviceURL: base + "devicecode",
			scopes: microsoftScopes, authStyle: oauth2.AuthStyleInParams, redirectHost: "localhost", device: true}
	default:
		p = provider{authURL: o.AuthURL, tokenURL: o.TokenURL, deviceURL: o.DeviceURL,
			redirectHost: "127.0.0.1", device: o.AuthURL == ""}
	}
	if o.Scopes != nil {
		p.scopes = o.Scopes
	}
	return p
}
