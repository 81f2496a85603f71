package config

import (
	"os"
	"path/filepath"

	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// passwordKeys are the password sources; an account sets at most one of them.
var passwordKeys = []string{"password", "password_command", "password_file", "password_keyring", "password_netrc"}

// credentials reads the user, the authentication mechanism and where the password, or
// the OAuth2 access token, comes from.
func (d *decoder) credentials(t *table, a *Account, cfg *Config, protoOK bool) {
	a.User = t.required("user", `"me@example.org"`)
	a.Auth = Auth(t.enum("auth", authEnum, int(AuthAuto)))
	d.password(t, a)
	a.Token = secret.Source{Command: t.argv("token_command"), Account: a.Name}
	a.OAuth = d.oauth(t, a, cfg)
	switch {
	case a.Auth == AuthAPOP && protoOK && a.Protocol != POP3:
		t.problem("auth", `write "plain", "login" or "auto"`, `"apop" exists only for protocol = "pop3"`)
	case a.Auth == AuthOAuth2 && !t.has("token_command") && !t.has("oauth_provider"):
		t.problem("auth", `add oauth_provider = "google" (or "microsoft") and run `+"`fetchsecure oauth login "+
			a.Name+"`"+`, or token_command = ["oauth2-token", "me@example.org"]`,
			`"oauth2" needs a token: from oauth_provider or from token_command`)
	case a.Auth == AuthOAuth2 && t.has("token_command") && t.has("oauth_provider"):
		t.problem("token_command", "keep one of token_command and oauth_provider",
			"a second token source; oauth_provider is already set (line %d)", d.c.ix.line(t.key("oauth_provider")))
	case a.Auth != AuthOAuth2 && t.has("token_command"):
		t.problem("token_command", `write auth = "oauth2", or remove token_command`,
			`is used only with auth = "oauth2"`)
	case a.Auth == AuthOAuth2 && !a.Password.IsZero():
		t.problem("auth", "remove the password setting; the token comes from "+tokenSource(t),
			`a password is not used with auth = "oauth2"`)
	}
}

func tokenSource(t *table) string {
	if t.has("oauth_provider") {
		return "oauth_provider"
	}
	return "token_command"
}

// password reads the password source. With none set, the password is looked up in
// ~/.netrc (machine = host, login = user), as fetchmail does, unless password_netrc =
// false; failing that, it is asked for on a terminal.
func (d *decoder) password(t *table, a *Account) {
	d.onlyOne(t, "password source", passwordKeys)
	a.Password.Account = a.Name
	if s, ok := t.str("password", `write password = "..." in quotes`); ok {
		if s == "" {
			t.problem("password", "remove it to be prompted, or set password_command", "is empty")
		}
		a.Password.Literal = secret.Secret(s)
	}
	a.Password.Command = t.argv("password_command")
	a.Password.File = d.passwordFile(t)
	a.Password.Keyring = t.boolean("password_keyring", false)
	explicit := t.boolean("password_netrc", false)
	switch {
	case explicit:
		a.Password.Netrc = d.netrc(t, a)
	case !t.has("password_netrc") && a.Password.IsZero() && a.Auth != AuthOAuth2:
		if p := netrcPath(); p != "" {
			a.Password.Netrc = &secret.Netrc{Path: p, Machine: a.Host, Login: a.User, Auto: true}
		}
	}
}

// netrc checks the netrc file that password_netrc = true names: it must exist and
// only its owner may read it. It is not read.
func (d *decoder) netrc(t *table, a *Account) *secret.Netrc {
	p := netrcPath()
	if p == "" {
		t.problem("password_netrc", "set HOME, or use password_file", "cannot find your home directory, so no ~/.netrc")
		return nil
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		t.problem("password_netrc", "create it with a line `machine "+a.Host+" login "+a.User+" password ...`",
			"%s: %v", p, unwrapPath(err))
	case secret.Exposed(fi.Mode()):
		d.insecure = true
		t.problem("password_netrc", "run chmod 600 "+p, "%s has mode %04o: %s can read the passwords in it",
			p, fi.Mode().Perm(), readers(fi.Mode()))
	}
	return &secret.Netrc{Path: p, Machine: a.Host, Login: a.User}
}

func netrcPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".netrc")
}

// passwordFile returns the expanded password_file, checking that it exists and that
// only its owner can read it. The file is not read.
func (d *decoder) passwordFile(t *table) string {
	p := d.existingFile(t, "password_file")
	if p == "" {
		return ""
	}
	if fi, err := os.Stat(p); err == nil && secret.Exposed(fi.Mode()) {
		d.insecure = true
		t.problem("password_file", "run chmod 600 "+p, "%s has mode %04o: %s can read the password in it",
			p, fi.Mode().Perm(), readers(fi.Mode()))
	}
	return p
}
