package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/oauth/oauthtest"
)

func oauthConfig(t *testing.T, srv *oauthtest.Server) string {
	return writeTestConfig(t, fmt.Sprintf(`
[account.lab]
protocol = "imap"
host = "127.0.0.1"
user = "me@example.org"
auth = "oauth2"
oauth_provider = "custom"
oauth_client_id = %q
oauth_device_url = %q
oauth_token_url = %q
maildir = "Maildir"
`, srv.ClientID(), srv.DeviceURL, srv.TokenURL))
}

func TestOAuthLoginLogout(t *testing.T) {
	srv := oauthtest.Start(t, oauthtest.Options{})
	cfg := oauthConfig(t, srv)
	t.Setenv("DISPLAY", "") // no browser
	t.Setenv("WAYLAND_DISPLAY", "")
	r := runMain(t, "", "oauth", "login", "-c", cfg, "lab")
	file := filepath.Join(filepath.Dir(cfg), "state", "oauth2", "lab.json")
	if r.code != 0 || !strings.Contains(r.stdout, "WDJB-MJHT") || !strings.Contains(r.stdout, "Signed in") ||
		!strings.Contains(r.stdout, file) {
		t.Fatalf("login: %+v", r)
	}
	for _, v := range srv.Issued() {
		if strings.Contains(r.stdout+r.stderr, v) {
			t.Errorf("login output shows %s", v)
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v, %v", fi, err)
	}
	r = runMain(t, "", "oauth", "logout", "-c", cfg, "lab")
	if _, err := os.Stat(file); r.code != 0 || !strings.Contains(r.stdout, "Deleted the tokens") || err == nil {
		t.Errorf("logout: %+v, file: %v", r, err)
	}
}

func TestOAuthLoginRefuses(t *testing.T) {
	srv := oauthtest.Start(t, oauthtest.Options{})
	cfg := oauthConfig(t, srv)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"login", "work"}, 3, "account work has no built-in OAuth2 client"},
		{[]string{"login", "--browser", "lab"}, 2, "set oauth_auth_url, or use --device"},
		{[]string{"login", "--device", "--browser", "lab"}, 2, "usage: fetchsecure oauth login"},
		{[]string{"refresh", "lab"}, 2, "usage:"},
	} {
		r := runMain(t, "", append([]string{"oauth", "-c", cfg}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: %+v", tc.args, r)
		}
	}
}
