package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/oauth/oauthtest"
	"github.com/fetchsecure/fetchsecure/internal/secret"
)

func account(t *testing.T, srv *oauthtest.Server) *config.Account {
	return &config.Account{Name: "work", User: "me@example.org", Auth: config.AuthOAuth2,
		OAuth: &config.OAuth{Provider: config.CustomProvider, ClientID: srv.ClientID(),
			AuthURL: srv.AuthURL, TokenURL: srv.TokenURL, DeviceURL: srv.DeviceURL,
			Scopes: []string{"mail", "offline_access"}, TokenDir: t.TempDir()}}
}

func newClient(t *testing.T, a *config.Account) *Client {
	t.Helper()
	c, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// browser plays the user: it opens the URL the client shows, in the background.
func browser(t *testing.T) func(string) error {
	return func(u string) error {
		go func() {
			if _, err := oauthtest.Browse(u); err != nil {
				t.Errorf("browser: %v", err)
			}
		}()
		return nil
	}
}

// assertNoSecrets fails if s holds anything the server issued.
func assertNoSecrets(t *testing.T, srv *oauthtest.Server, what, s string) {
	t.Helper()
	for _, v := range srv.Issued() {
		if strings.Contains(s, v) {
			t.Errorf("%s shows %s:\n%s", what, v, s)
		}
	}
}

func TestDeviceLogin(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{Pending: 1})
	a := account(t, srv)
	c := newClient(t, a)
	var out strings.Builder
	if err := c.Login(ctx(t), LoginOptions{Flow: DeviceFlow, Out: &out}); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if !strings.Contains(out.String(), srv.URL+"/verify") || !strings.Contains(out.String(), "WDJB-MJHT") {
		t.Errorf("instructions:\n%s", out.String())
	}
	assertNoSecrets(t, srv, "the instructions", out.String())
	// The login's access token is used as is: no refresh yet.
	tok, err := c.AccessToken(ctx(t))
	if err != nil || !srv.Valid(tok.Reveal()) || srv.Requests("refresh_token") != 0 {
		t.Fatalf("AccessToken = %v (valid %v), %d refreshes", err, srv.Valid(tok.Reveal()), srv.Requests("refresh_token"))
	}
	fi, err := os.Stat(c.store.String())
	if err != nil || fi.Mode().Perm() != 0o600 || filepath.Dir(c.store.String()) != a.OAuth.TokenDir {
		t.Errorf("token file %s: %v %v", c.store.String(), fi.Mode(), err)
	}
}

func TestBrowserLogin(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{ClientSecret: "client-s3cret"})
	a := account(t, srv)
	a.OAuth.ClientSecret = secret.Source{Command: []string{"echo", "client-s3cret"}}
	c := newClient(t, a)
	var out strings.Builder
	if err := c.Login(ctx(t), LoginOptions{Out: &out, Open: browser(t)}); err != nil {
		t.Fatalf("Login: %v\n%s", err, out.String())
	}
	q := srv.LastAuthorization()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("state")) < 40 || q.Get("login_hint") != "me@example.org" ||
		!strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") || q.Get("scope") != "mail offline_access" {
		t.Errorf("authorization request: %v", q)
	}
	if tok, err := c.AccessToken(ctx(t)); err != nil || !srv.Valid(tok.Reveal()) {
		t.Fatalf("AccessToken: %v", err)
	}
}

// The browser runs elsewhere: the user pastes the address it failed to load.
func TestBrowserLoginPaste(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{})
	c := newClient(t, account(t, srv))
	pr, pw, _ := os.Pipe()
	defer pr.Close()
	defer pw.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	open := func(u string) error {
		go func() {
			resp, err := noFollow.Get(u)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			pw.WriteString("garbage\n" + resp.Header.Get("Location") + "\n")
		}()
		return nil
	}
	if err := c.Login(ctx(t), LoginOptions{Open: open, Paste: pr}); err != nil {
		t.Fatalf("Login: %v", err)
	}
}

// A request to the loopback port with the wrong state does not end the login.
func TestBrowserLoginIgnoresWrongState(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{})
	c := newClient(t, account(t, srv))
	open := func(u string) error {
		go func() {
			parsed, _ := url.Parse(u)
			ru := parsed.Query().Get("redirect_uri")
			if resp, err := http.Get(ru + "?code=forged&state=wrong"); err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest {
					t.Errorf("forged redirect: %s", resp.Status)
				}
			}
			oauthtest.Browse(u)
		}()
		return nil
	}
	if err := c.Login(ctx(t), LoginOptions{Open: open}); err != nil {
		t.Fatalf("Login: %v", err)
	}
}

func TestLoginDeclined(t *testing.T) {
	t.Parallel()
	for _, flow := range []Flow{DeviceFlow, BrowserFlow} {
		srv := oauthtest.Start(t, oauthtest.Options{Deny: true})
		c := newClient(t, account(t, srv))
		err := c.Login(ctx(t), LoginOptions{Flow: flow, Open: browser(t)})
		if fail.KindOf(err) != fail.Auth || !strings.Contains(err.Error(), "access_denied") ||
			!strings.Contains(fail.HintOf(err), "declined") {
			t.Errorf("flow %d: %v (%v)", flow, err, fail.KindOf(err))
		}
		if _, err := c.AccessToken(ctx(t)); fail.KindOf(err) != fail.Config {
			t.Errorf("flow %d: a token was stored: %v", flow, err)
		}
	}
}

func TestLoginTimesOut(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{})
	c := newClient(t, account(t, srv))
	err := c.Login(ctx(t), LoginOptions{Flow: BrowserFlow, Timeout: 200 * time.Millisecond})
	if fail.KindOf(err) != fail.Auth || !strings.Contains(err.Error(), "no sign-in within") {
		t.Errorf("err = %v", err)
	}
}

func TestLoginWithoutRefreshToken(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{NoRefresh: true})
	c := newClient(t, account(t, srv))
	err := c.Login(ctx(t), LoginOptions{Flow: DeviceFlow})
	if fail.KindOf(err) != fail.Auth || !strings.Contains(fail.HintOf(err), "offline_access") {
		t.Errorf("err = %v, hint %q", err, fail.HintOf(err))
	}
}

// login logs the account in with the device flow (immediate approval).
func login(t *testing.T, c *Client) {
	t.Helper()
	if err := c.Login(ctx(t), LoginOptions{Flow: DeviceFlow}); err != nil {
		t.Fatalf("Login: %v", err)
	}
}

func TestRefreshByWallClock(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{Rotate: true})
	c := newClient(t, account(t, srv))
	login(t, c)
	first, _ := c.AccessToken(ctx(t))
	// The laptop slept for 59 minutes: the token has less than the margin left.
	c.now = func() time.Time { return time.Now().Add(59 * time.Minute) }
	second, err := c.AccessToken(ctx(t))
	if err != nil || second == first || !srv.Valid(second.Reveal()) || srv.Requests("refresh_token") != 1 {
		t.Fatalf("after sleep: %v, same %v, %d refreshes", err, second == first, srv.Requests("refresh_token"))
	}
	// The refresh token rotated; the new one was stored, so the next refresh works.
	c.now = func() time.Time { return time.Now().Add(3 * time.Hour) }
	if _, err := c.AccessToken(ctx(t)); err != nil || srv.Requests("refresh_token") != 2 {
		t.Fatalf("second refresh: %v, %d refreshes", err, srv.Requests("refresh_token"))
	}
	// What is stored is a date: no monotonic clock reading survives, in UTC.
	r, err := c.store.Load(ctx(t))
	if err != nil || strings.Contains(r.Expiry.String(), "m=") || r.Expiry.Location() != time.UTC {
		t.Errorf("stored expiry %v, %v", r.Expiry, err)
	}
}

func TestForget(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{})
	c := newClient(t, account(t, srv))
	login(t, c)
	first, _ := c.AccessToken(ctx(t))
	if err := c.Forget(ctx(t)); err != nil {
		t.Fatal(err)
	}
	second, err := c.AccessToken(ctx(t))
	if err != nil || second == first || srv.Requests("refresh_token") != 1 {
		t.Errorf("after Forget: %v, same token %v", err, second == first)
	}
}

func TestRefreshFailures(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{})
	a := account(t, srv)
	c := newClient(t, a)
	if _, err := c.AccessToken(ctx(t)); fail.KindOf(err) != fail.Config || !strings.Contains(fail.HintOf(err), "oauth login work") {
		t.Errorf("never logged in: %v, hint %q", err, fail.HintOf(err))
	}
	login(t, c)
	srv.Revoke()
	c.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	_, err := c.AccessToken(ctx(t))
	if fail.KindOf(err) != fail.Auth || !strings.Contains(err.Error(), "invalid_grant") ||
		!strings.Contains(fail.HintOf(err), "`fetchsecure oauth login work`") {
		t.Errorf("revoked: %v (%v), hint %q", err, fail.KindOf(err), fail.HintOf(err))
	}
	assertNoSecrets(t, srv, "the error", err.Error())
	// Another client ID: the stored token is not for it.
	a.OAuth.ClientID = "someone-else"
	if _, err := newClient(t, a).AccessToken(ctx(t)); fail.KindOf(err) != fail.Config ||
		!strings.Contains(err.Error(), "issued to another client") {
		t.Errorf("changed client: %v", err)
	}
}

// A token endpoint that fails shows its status, never its body.
func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{})
	a := account(t, srv)
	c := newClient(t, a)
	login(t, c)
	r, _ := c.store.Load(ctx(t))
	for _, tc := range []struct {
		status int
		body   string
		kind   fail.Kind
		want   string
	}{
		{500, "internal error, refresh_token=" + r.RefreshToken, fail.Temporary, "HTTP 500"},
		{429, `{"error":"temporarily_unavailable"}`, fail.Temporary, `"temporarily_unavailable"`},
		{400, `{"error":"invalid_grant","error_description":"token ` + r.RefreshToken + ` expired"}`, fail.Auth, "token *** expired"},
		{401, `{"error":"invalid_client"}`, fail.Config, `"invalid_client"`},
	} {
		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(tc.status)
			w.Write([]byte(tc.body))
		}))
		a.OAuth.TokenURL = bad.URL
		_, err := newClient(t, a).refresh(ctx(t), r.RefreshToken)
		bad.Close()
		if fail.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), r.RefreshToken) {
			t.Errorf("%d: %v (%v)", tc.status, err, fail.KindOf(err))
		}
	}
	a.OAuth.TokenURL = "http://127.0.0.1:1/token" // nothing listens
	c = newClient(t, a)
	if _, err := c.refresh(ctx(t), r.RefreshToken); fail.KindOf(err) != fail.Temporary {
		t.Errorf("unreachable: %v (%v)", err, fail.KindOf(err))
	}
}

func TestExposedTokenFile(t *testing.T) {
	t.Parallel()
	srv := oauthtest.Start(t, oauthtest.Options{})
	c := newClient(t, account(t, srv))
	login(t, c)
	if err := os.Chmod(c.store.String(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AccessToken(ctx(t)); fail.KindOf(err) != fail.Insecure {
		t.Errorf("err = %v (%v)", err, fail.KindOf(err))
	}
}

func TestKeyringStore(t *testing.T) {
	keyring.MockInit()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent") // the mock needs no bus
	srv := oauthtest.Start(t, oauthtest.Options{})
	a := account(t, srv)
	a.OAuth.Store = config.TokenKeyring
	c := newClient(t, a)
	login(t, c)
	if tok, err := c.AccessToken(ctx(t)); err != nil || !srv.Valid(tok.Reveal()) {
		t.Fatalf("AccessToken: %v", err)
	}
	if v, err := keyring.Get(KeyringService, "work"); err != nil || !strings.Contains(v, `"refresh_token":"rt-`) {
		t.Errorf("keyring holds %d bytes, %v", len(v), err)
	}
	if entries, _ := os.ReadDir(a.OAuth.TokenDir); len(entries) != 0 {
		t.Errorf("token dir not empty: %v", entries)
	}
	if had, err := c.Logout(ctx(t)); !had || err != nil {
		t.Errorf("Logout = %v, %v", had, err)
	}
	if _, err := c.AccessToken(ctx(t)); fail.KindOf(err) != fail.Config {
		t.Errorf("after Logout: %v", err)
	}
}

func TestPresets(t *testing.T) {
	g := presetFor(&config.OAuth{Provider: config.Google})
	m := presetFor(&config.OAuth{Provider: config.Microsoft, Tenant: "contoso.onmicrosoft.com"})
	if g.device || g.params["access_type"] != "offline" || g.scopes[0] != "https://mail.google.com/" {
		t.Errorf("google: %+v", g)
	}
	if !m.device || m.tokenURL != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token" ||
		len(m.scopes) != 3 || m.redirectHost != "localhost" {
		t.Errorf("microsoft: %+v", m)
	}
	if p := presetFor(&config.OAuth{Provider: config.Microsoft, Scopes: []string{"x"}}); len(p.scopes) != 1 {
		t.Errorf("oauth_scopes do not replace the preset's: %v", p.scopes)
	}
}
