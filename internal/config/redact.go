package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// Redacted renders the effective configuration (defaults applied, paths expanded) as
// TOML, with every literal secret replaced by "***", for `fetchsecure check -v`.
func (c *Config) Redacted() string {
	w := &writer{}
	w.kv("state_dir", tomlQuote(c.StateDir))
	w.kv("poll_interval", dur(c.PollInterval))
	w.kv("max_parallel", fmt.Sprint(c.MaxParallel))
	w.kv("timeout", dur(c.Timeout))
	w.kv("hostname", tomlQuote(c.Hostname))
	for _, a := range c.Accounts {
		w.header("account", a.Name)
		a.render(w)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Tunnels)) {
		w.header("tunnel", name)
		c.Tunnels[name].render(w)
	}
	return w.b.String()
}

func (a *Account) render(w *writer) {
	w.kv("enabled", fmt.Sprint(a.Enabled))
	w.kv("protocol", tomlQuote(a.Protocol.String()))
	w.kv("host", tomlQuote(a.Host))
	w.kv("port", fmt.Sprint(a.Port))
	w.kv("tls", tomlQuote(a.TLS.String()))
	w.kv("tls_server_name", tomlQuote(a.TLSServerName))
	w.opt("ca_file", a.CAFile)
	w.list("tls_fingerprint", prefixed("sha256:", a.TLSFingerprints))
	w.kv("user", tomlQuote(a.User))
	w.source("password", a.Password)
	w.kv("auth", tomlQuote(a.Auth.String()))
	w.list("token_command", a.Token.Command)
	a.OAuth.render(w)
	if a.Protocol == IMAP {
		w.list("folders", a.Folders)
	}
	w.kv("keep", fmt.Sprint(a.Keep))
	a.Target.render(w)
	w.kv("maildir_folders", fmt.Sprint(a.MaildirFolders))
	w.opt("deliver_to", a.DeliverTo)
	w.kv("add_received", fmt.Sprint(a.AddReceived))
	w.opt("dedupe", a.Dedupe.String())
	if a.Tunnel != nil {
		w.kv("tunnel", tomlQuote(a.Tunnel.Name))
	}
	w.list("tunnel_command", a.TunnelCommand)
	a.renderBehaviour(w)
}

func (a *Account) renderBehaviour(w *writer) {
	if a.Protocol == POP3 {
		w.kv("pop3_no_uidl", tomlQuote(a.POP3NoUIDL.String()))
	}
	w.kv("timeout", dur(a.Timeout))
	if a.Limit > 0 {
		w.kv("limit", fmt.Sprint(a.Limit))
		w.kv("limit_action", tomlQuote(a.LimitAction.String()))
	}
	w.kv("max_messages", fmt.Sprint(a.MaxMessages))
	if a.MaxLine > 0 {
		w.kv("max_line_length", fmt.Sprint(a.MaxLine))
	}
	w.kv("poll_interval", dur(a.PollInterval))
	if a.Protocol == IMAP {
		w.kv("idle", fmt.Sprint(a.Idle))
		w.kv("idle_timeout", dur(a.IdleTimeout))
	}
	w.kv("max_connections", fmt.Sprint(a.MaxConnections))
	w.kv("notify", fmt.Sprint(a.Notify))
	w.list("notify_command", a.NotifyCommand)
}

func (t Target) render(w *writer) {
	switch t.Kind {
	case Maildir, Mbox:
		w.kv(t.Kind.String(), tomlQuote(t.Path))
	case MDA:
		w.list("mda", t.Argv)
	case LMTP, SMTP:
		addr := t.Address
		if t.Network == "unix" {
			addr = "unix:" + addr
		}
		w.kv(t.Kind.String(), tomlQuote(addr))
	}
}

func (t *Tunnel) render(w *writer) {
	w.kv("host", tomlQuote(t.Host))
	w.kv("port", fmt.Sprint(t.Port))
	w.kv("user", tomlQuote(t.User))
	w.list("identity_file", t.IdentityFiles)
	w.list("passphrase_command", t.Passphrase.Command)
	w.list("known_hosts", t.KnownHosts)
	w.opt("host_key", t.HostKey)
	if t.Jump != nil {
		w.kv("jump", tomlQuote(t.Jump.Name))
	}
	w.kv("keepalive", dur(t.Keepalive))
	w.kv("timeout", dur(t.Timeout))
}

// writer builds TOML text.
type writer struct{ b strings.Builder }

func (w *writer) header(kind, name string) { fmt.Fprintf(&w.b, "\n[%s.%s]\n", kind, quoteKey(name)) }

func (w *writer) kv(k, v string) { fmt.Fprintf(&w.b, "%s = %s\n", k, v) }

// opt writes k only if v is set.
func (w *writer) opt(k, v string) {
	if v != "" {
		w.kv(k, tomlQuote(v))
	}
}

// list writes k only if the list is not empty.
func (w *writer) list(k string, v []string) {
	if len(v) > 0 {
		w.kv(k, "["+strings.Join(quoteAll(v), ", ")+"]")
	}
}

// source writes the password setting; a literal is never written.
func (w *writer) source(k string, s secret.Source) {
	switch {
	case s.Literal != "":
		w.kv(k, tomlQuote(s.Literal.String()))
	case len(s.Command) > 0:
		w.list(k+"_command", s.Command)
	case s.File != "":
		w.kv(k+"_file", tomlQuote(s.File))
	case s.Keyring:
		w.kv(k+"_keyring", "true")
	case s.Netrc != nil && s.Netrc.Auto:
		fmt.Fprintf(&w.b, "# %s: from %s (machine %s login %s) if it is there, else asked on a terminal\n",
			k, s.Netrc.Path, s.Netrc.Machine, s.Netrc.Login)
	case s.Netrc != nil:
		w.kv(k+"_netrc", "true")
	}
}

// dur writes a duration as people do: "5m", not "5m0s".
func dur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return tomlQuote(s)
}

func prefixed(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}
