package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/secret"
)

func TestPasswordSources(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	netrc := filepath.Join(home, ".netrc")
	if err := os.WriteFile(netrc, []byte("machine mail.example.org login me password x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	auto := &secret.Netrc{Path: netrc, Machine: "mail.example.org", Login: "me", Auto: true}
	for _, tc := range []struct {
		extra string
		want  secret.Source
	}{
		{"", secret.Source{Account: "work", Netrc: auto}},
		{"password_netrc = true", secret.Source{Account: "work", Netrc: &secret.Netrc{Path: netrc,
			Machine: "mail.example.org", Login: "me"}}},
		{"password_netrc = false", secret.Source{Account: "work"}},
		{"password_keyring = true", secret.Source{Account: "work", Keyring: true}},
		{"password_keyring = false", secret.Source{Account: "work", Netrc: auto}},
		{"password_keyring = false\npassword_command = [\"pass\"]", secret.Source{Account: "work", Command: []string{"pass"}}},
	} {
		cfg := mustLoad(t, minimal+tc.extra+"\n")
		if got := cfg.Accounts[0].Password; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: Password = %+v (netrc %+v), want %+v", tc.extra, got, got.Netrc, tc.want)
		}
	}
	// An explicit netrc file is checked at load, like password_file.
	if err := os.Chmod(netrc, 0o644); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, minimal+"password_netrc = true\n", 0o600)
	_, err := Load(path)
	if fail.KindOf(err) != fail.Insecure || !strings.Contains(err.Error(), "account.work.password_netrc: "+netrc+" has mode 0644") {
		t.Errorf("exposed netrc: %v (%v)", err, fail.KindOf(err))
	}
	if _, err := Load(writeConfig(t, minimal, 0o600)); err != nil {
		t.Errorf("auto netrc is not checked at load: %v", err)
	}
}

const oauthAccount = `
[account.m365]
protocol = "imap"
host = "outlook.office365.com"
user = "me@example.org"
auth = "oauth2"
oauth_provider = "microsoft"
oauth_client_id = "00000000-1111-2222-3333-444444444444"
maildir = "Maildir"
`

func TestOAuthSettings(t *testing.T) {
	cfg := mustLoad(t, "state_dir = \"/var/lib/fs\"\n"+oauthAccount)
	want := &OAuth{Provider: Microsoft, ClientID: "00000000-1111-2222-3333-444444444444",
		ClientSecret: secret.Source{Account: "m365"}, Tenant: "common", Store: TokenFile,
		TokenDir: "/var/lib/fs/oauth2"}
	a := cfg.Accounts[0]
	if !reflect.DeepEqual(a.OAuth, want) || !a.Password.IsZero() {
		t.Errorf("OAuth = %+v\nwant %+v; password %v", a.OAuth, want, a.Password)
	}
	cfg = mustLoad(t, `
[account.lab]
protocol = "pop3"
host = "pop.example.org"
user = "me"
auth = "oauth2"
oauth_provider = "custom"
oauth_client_id = "fetchsecure"
oauth_client_secret_command = ["pass", "show", "client"]
oauth_auth_url = "https://login.example.org/authorize"
oauth_token_url = "http://127.0.0.1:8080/token"
oauth_scopes = ["mail"]
oauth_token_store = "keyring"
maildir = "Maildir"
`)
	o := cfg.Accounts[0].OAuth
	if o.Provider != CustomProvider || o.AuthURL != "https://login.example.org/authorize" ||
		o.TokenURL != "http://127.0.0.1:8080/token" || o.DeviceURL != "" || o.Store != TokenKeyring ||
		!reflect.DeepEqual(o.Scopes, []string{"mail"}) || o.ClientSecret.Command[2] != "client" {
		t.Errorf("custom: %+v", o)
	}
}

func TestOAuthClientSecretMakesFileSecret(t *testing.T) {
	body := strings.Replace(oauthAccount, `oauth_provider = "microsoft"`,
		"oauth_provider = \"google\"\noauth_client_secret = \"GOCSPX-hunter2\"", 1)
	path := writeConfig(t, body, 0o644)
	_, err := Load(path)
	if fail.KindOf(err) != fail.Insecure || !strings.Contains(err.Error(), "account.m365.oauth_client_secret: ") ||
		strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v (%v)", err, fail.KindOf(err))
	}
}

func TestRedactedCredentials(t *testing.T) {
	t.Setenv("HOME", "/home/test")
	body := strings.Replace(oauthAccount, `oauth_provider = "microsoft"`,
		"oauth_provider = \"google\"\noauth_client_secret = \"GOCSPX-hunter2\"", 1) + `
[account.k]
protocol = "imap"
host = "mail.example.org"
user = "me"
password_keyring = true
maildir = "Maildir"

[account.n]
protocol = "imap"
host = "mail.example.org"
user = "me"
maildir = "Maildir"
`
	cfg := mustLoad(t, body)
	out := cfg.Redacted()
	for _, want := range []string{`oauth_provider = "google"`, `oauth_client_secret = "***"`, `oauth_token_store = "file"`,
		"password_keyring = true", `# password: from /home/test/.netrc (machine mail.example.org login me)`} {
		if !strings.Contains(out, want) {
			t.Errorf("Redacted lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("Redacted reveals the client secret:\n%s", out)
	}
	if again := mustLoad(t, out); again.Redacted() != out {
		t.Errorf("Redacted does not round-trip:\n%s\n---\n%s", out, again.Redacted())
	}
}
