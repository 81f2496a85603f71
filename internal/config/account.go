package config

import (
	"os"
	"slices"
	"strings"
	"time"
)

var accountKeys = []string{"enabled", "protocol", "host", "port", "tls", "tls_server_name",
	"ca_file", "tls_fingerprint", "user", "password", "password_command", "password_file",
	"password_keyring", "password_netrc", "auth", "token_command", "oauth_provider",
	"oauth_client_id", "oauth_client_secret", "oauth_client_secret_command", "oauth_tenant",
	"oauth_auth_url", "oauth_token_url", "oauth_device_url", "oauth_scopes", "oauth_token_store",
	"folders", "keep", "maildir", "maildir_folders", "mda", "mbox",
	"lmtp", "smtp", "deliver_to", "add_received", "dedupe", "tunnel", "tunnel_command",
	"pop3_no_uidl", "timeout", "limit", "limit_action", "max_messages", "max_line_length", "poll_interval",
	"idle", "idle_timeout", "max_connections", "notify", "notify_command"}

var (
	protocolEnum = enum{what: "a protocol", names: protocolNames, special: map[string]string{
		"imaps": `write protocol = "imap"; implicit TLS is the default (tls = "tls")`,
		"pop3s": `write protocol = "pop3"; implicit TLS is the default (tls = "tls")`,
		"pop":   `write "pop3"`,
	}}
	tlsEnum = enum{what: "a TLS mode", names: tlsNames,
		hint: `write "tls" (implicit TLS, port 993/995), "starttls" or "none"`}
	authEnum        = enum{what: "an authentication mechanism", names: authNames}
	dedupeEnum      = enum{what: "a dedupe mode", names: dedupeNames, hint: `write "message-id", or remove the key`}
	noUIDLEnum      = enum{what: "a policy", names: noUIDLNames}
	limitActionEnum = enum{what: "a limit action", names: limitActionNames}
)

func (d *decoder) accounts(top *table, cfg *Config) []*Account {
	names, tables := d.named(top, "account", "work")
	if len(names) == 0 && !top.has("account") {
		d.c.at(nil, "add an [account.NAME] table; config.example.toml shows one", "no account is configured")
	}
	accounts := make([]*Account, len(names))
	for i, t := range tables {
		accounts[i] = d.account(t, names[i], cfg)
	}
	return accounts
}

func (d *decoder) account(t *table, name string, cfg *Config) *Account {
	t.unknownKeys(accountKeys, func(k string) string {
		if slices.Contains(tunnelKeys, k) {
			return k + ` belongs in a [tunnel.NAME] table, which the account uses with tunnel = "NAME"`
		}
		return ""
	})
	a := &Account{Name: name, File: d.c.file, Line: d.c.ix.line(t.path),
		Enabled: t.boolean("enabled", true)}
	protoOK := d.server(t, a)
	d.credentials(t, a, cfg, protoOK)
	d.folders(t, a, protoOK)
	d.delivery(t, a)
	d.route(t, a, cfg)
	d.behaviour(t, a, cfg, protoOK)
	return a
}

// server reads where the mail server is and how TLS is checked. It reports whether the
// protocol is known, for the checks that depend on it.
func (d *decoder) server(t *table, a *Account) bool {
	if !t.has("protocol") {
		t.problem("protocol", `add protocol = "imap" or protocol = "pop3"`, "is missing")
	}
	p, protoOK := t.choice("protocol", protocolEnum)
	a.Protocol = Protocol(p)
	a.Host = t.host(`"mail.example.org"`)
	a.TLS = TLSMode(t.enum("tls", tlsEnum, int(TLS)))
	a.Port = int(t.integer("port", int64(defaultPort(a.Protocol, a.TLS)), 1, 65535))
	if t.has("tls_server_name") {
		a.TLSServerName = t.required("tls_server_name", `"mail.example.org"`)
	}
	if a.TLSServerName == "" {
		a.TLSServerName = a.Host
	}
	a.CAFile = d.existingFile(t, "ca_file")
	a.TLSFingerprints = fingerprints(t)
	if a.TLS == NoTLS {
		for _, k := range []string{"tls_server_name", "ca_file", "tls_fingerprint"} {
			if t.has(k) {
				t.problem(k, "remove it, or use TLS", `has no effect with tls = "none"`)
			}
		}
	}
	return protoOK
}

func defaultPort(p Protocol, m TLSMode) int {
	switch {
	case p == POP3 && m == TLS:
		return 995
	case p == POP3:
		return 110
	case m == TLS:
		return 993
	}
	return 143
}

// existingFile returns the expanded path at k, which must name an existing regular file.
func (d *decoder) existingFile(t *table, k string) string {
	p := t.filePath(k)
	if p == "" {
		return ""
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		t.problem(k, "check the path", "%s: %v", p, unwrapPath(err))
	case !fi.Mode().IsRegular():
		t.problem(k, "check the path", "%s is not a regular file", p)
	}
	return p
}

func fingerprints(t *table) []string {
	const hint = `write "sha256:" followed by the 64 hex digits of the SHA-256 of the server's public key`
	list := t.strings("tls_fingerprint", true, hint)
	out := make([]string, 0, len(list))
	for _, s := range list {
		fp, err := parseFingerprint(s)
		if err != nil {
			t.problem("tls_fingerprint", hint, "%s %v", tomlQuote(s), err)
			continue
		}
		out = append(out, fp)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// onlyOne reports every key of keys after the first one set (in file order), and
// returns that first one, or "" if none is set. A key set to false counts as not set
// (password_keyring = false is no password source).
func (d *decoder) onlyOne(t *table, what string, keys []string) string {
	var set []string
	for _, k := range keys {
		if t.has(k) && t.m[k] != false {
			set = append(set, k)
		}
	}
	slices.SortStableFunc(set, func(a, b string) int { return d.c.ix.line(t.key(a)) - d.c.ix.line(t.key(b)) })
	for _, k := range set[min(1, len(set)):] {
		t.problem(k, "keep one of "+strings.Join(keys, ", "), "a second %s; %s is already set (line %d)",
			what, set[0], d.c.ix.line(t.key(set[0])))
	}
	if len(set) == 0 {
		return ""
	}
	return set[0]
}

func (d *decoder) timeouts(t *table, a *Account, cfg *Config) {
	a.Timeout = t.duration("timeout", cfg.Timeout)
	a.PollInterval = t.duration("poll_interval", cfg.PollInterval)
	a.IdleTimeout = t.duration("idle_timeout", 29*time.Minute)
	if a.IdleTimeout > 29*time.Minute {
		t.problem("idle_timeout", `write "29m" or less`,
			"servers may drop a client idle for more than 29 minutes (RFC 2177 §3)")
	}
}
