package config

import (
	"net/url"
	"path/filepath"

	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// OAuth is an account's built-in OAuth2 client (auth = "oauth2" with oauth_provider):
// `fetchsecure oauth login` obtains a refresh token once, and each run turns it into
// an access token. The endpoints of the google and microsoft presets live in package
// oauth; for custom they are here.
type OAuth struct {
	Provider     OAuthProvider
	ClientID     string
	ClientSecret secret.Source // oauth_client_secret(_command); zero for a public client
	Tenant       string        // microsoft: "common" (default), "organizations", "consumers" or an ID
	AuthURL      string        // custom: authorization endpoint (loopback flow), or ""
	TokenURL     string        // custom: token endpoint
	DeviceURL    string        // custom: device authorization endpoint (RFC 8628), or ""
	Scopes       []string      // nil: the provider's
	Store        TokenStore
	TokenDir     string // state_dir/oauth2, where the token file lives (Store == TokenFile)
}

// OAuthProvider is an OAuth2 provider preset.
type OAuthProvider int

// Providers.
const (
	Google OAuthProvider = iota
	Microsoft
	CustomProvider
)

var providerNames = []string{"google", "microsoft", "custom"}

func (p OAuthProvider) String() string { return enumName(providerNames, p) }

// TokenStore says where the refresh token is kept.
type TokenStore int

// Token stores.
const (
	TokenFile    TokenStore = iota // a 0600 file under state_dir/oauth2
	TokenKeyring                   // the OS keyring (service "fetchsecure-oauth2")
)

var tokenStoreNames = []string{"file", "keyring"}

func (s TokenStore) String() string { return enumName(tokenStoreNames, s) }

var (
	oauthKeys = []string{"oauth_provider", "oauth_client_id", "oauth_client_secret",
		"oauth_client_secret_command", "oauth_tenant", "oauth_auth_url", "oauth_token_url",
		"oauth_device_url", "oauth_scopes", "oauth_token_store"}
	providerEnum = enum{what: "an OAuth2 provider", names: providerNames, special: map[string]string{
		"gmail": `write "google"`, "outlook": `write "microsoft"`, "office365": `write "microsoft"`,
		"m365": `write "microsoft"`, "azure": `write "microsoft"`,
	}}
	tokenStoreEnum = enum{what: "a token store", names: tokenStoreNames}
)

// oauth reads the built-in OAuth2 client, or returns nil if the account has none.
func (d *decoder) oauth(t *table, a *Account, cfg *Config) *OAuth {
	if a.Auth != AuthOAuth2 || !t.has("oauth_provider") {
		d.strayOAuthKeys(t, a)
		return nil
	}
	p, known := t.choice("oauth_provider", providerEnum)
	o := &OAuth{Provider: OAuthProvider(p), TokenDir: filepath.Join(cfg.StateDir, "oauth2"),
		Store: TokenStore(t.enum("oauth_token_store", tokenStoreEnum, int(TokenFile)))}
	o.ClientID = t.required("oauth_client_id", `"the client ID of your OAuth app registration"`)
	d.onlyOne(t, "client secret", []string{"oauth_client_secret", "oauth_client_secret_command"})
	if s, ok := t.str("oauth_client_secret", `write oauth_client_secret = "..." in quotes`); ok {
		o.ClientSecret.Literal = secret.Secret(s)
	}
	o.ClientSecret.Command = t.argv("oauth_client_secret_command")
	o.ClientSecret.Account = a.Name
	o.Scopes = t.strings("oauth_scopes", false, `write oauth_scopes = ["https://mail.example.org/imap"]`)
	o.Tenant, _ = t.str("oauth_tenant", `write oauth_tenant = "common" or your tenant ID`)
	o.AuthURL = endpointURL(t, "oauth_auth_url")
	o.TokenURL = endpointURL(t, "oauth_token_url")
	o.DeviceURL = endpointURL(t, "oauth_device_url")
	if known {
		d.checkProvider(t, o)
	}
	return o
}

// strayOAuthKeys reports oauth_* keys that have no effect.
func (d *decoder) strayOAuthKeys(t *table, a *Account) {
	for _, k := range oauthKeys[1:] {
		switch {
		case !t.has(k):
		case a.Auth != AuthOAuth2:
			t.problem(k, `write auth = "oauth2", or remove `+k, `is used only with auth = "oauth2"`)
		default:
			t.problem(k, `add oauth_provider = "google", "microsoft" or "custom"`, "has no effect without oauth_provider")
		}
	}
}

// checkProvider checks the settings each provider needs or cannot use.
func (d *decoder) checkProvider(t *table, o *OAuth) {
	custom := []string{"oauth_auth_url", "oauth_token_url", "oauth_device_url"}
	if o.Provider != CustomProvider {
		for _, k := range custom {
			if t.has(k) {
				t.problem(k, `remove it, or write oauth_provider = "custom"`, "is set by the %s preset", o.Provider)
			}
		}
	}
	switch o.Provider {
	case Google:
		if o.ClientSecret.IsZero() && !t.has("oauth_client_secret") {
			t.problem("oauth_client_secret", "copy it from the Google Cloud console, next to the client ID",
				`is required by Google, even for a "Desktop app" client`)
		}
	case Microsoft:
		if o.Tenant == "" && !t.has("oauth_tenant") {
			o.Tenant = "common"
		}
	case CustomProvider:
		if !t.has("oauth_token_url") {
			t.problem("oauth_token_url", `add oauth_token_url = "https://login.example.org/token"`,
				`is required with oauth_provider = "custom"`)
		}
		if !t.has("oauth_auth_url") && !t.has("oauth_device_url") {
			t.problem("oauth_provider", "add oauth_auth_url (browser login) or oauth_device_url (device code)",
				`"custom" needs an authorization or a device endpoint`)
		}
	}
	if o.Provider != Microsoft && t.has("oauth_tenant") {
		t.problem("oauth_tenant", "remove it", `is used only with oauth_provider = "microsoft"`)
	}
}

// endpointURL returns the URL at k, which must be https, or http to a loopback
// address (a local test server, or a proxy such as email-oauth2-proxy). The value is
// not echoed: a URL can hold credentials.
func endpointURL(t *table, k string) string {
	const hint = `write an https:// URL`
	s, ok := t.str(k, hint)
	if !ok {
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		t.problem(k, hint, "is not a URL")
	case u.User != nil:
		t.problem(k, "remove the user and password from the URL", "holds credentials")
	case u.Scheme != "https" && !(u.Scheme == "http" && IsLoopback(u.Hostname())):
		t.problem(k, hint, "must use https (http only to localhost): the token travels through it")
	default:
		return s
	}
	return ""
}

// render writes the OAuth2 client settings (the client secret only as *** or its
// command).
func (o *OAuth) render(w *writer) {
	if o == nil {
		return
	}
	w.kv("oauth_provider", tomlQuote(o.Provider.String()))
	w.kv("oauth_client_id", tomlQuote(o.ClientID))
	w.source("oauth_client_secret", o.ClientSecret)
	w.opt("oauth_tenant", o.Tenant)
	w.opt("oauth_auth_url", o.AuthURL)
	w.opt("oauth_token_url", o.TokenURL)
	w.opt("oauth_device_url", o.DeviceURL)
	w.list("oauth_scopes", o.Scopes)
	w.kv("oauth_token_store", tomlQuote(o.Store.String()))
}
