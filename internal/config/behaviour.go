package config

import (
	"maps"
	"slices"
)

// route reads how the mail server is reached: directly, through an SSH tunnel or
// through a command, and enforces the plaintext policy.
func (d *decoder) route(t *table, a *Account, cfg *Config) {
	d.onlyOne(t, "way to connect", []string{"tunnel", "tunnel_command"})
	if name, ok := t.str("tunnel", `write tunnel = "NAME" for a [tunnel.NAME] table`); ok {
		a.Tunnel = cfg.Tunnels[name]
		if a.Tunnel == nil {
			t.problem("tunnel", tunnelHint(name, cfg), "there is no [tunnel.%s] table", quoteKey(name))
		}
	}
	a.TunnelCommand = t.argv("tunnel_command")
	if a.TLS == NoTLS && a.Host != "" && !IsLoopback(a.Host) && !t.has("tunnel") && !t.has("tunnel_command") {
		t.problem("tls", `write tls = "tls" or "starttls"; plaintext is allowed only to a loopback host or through tunnel or tunnel_command`,
			`"none" would send the password unencrypted to %s`, a.Host)
	}
}

func tunnelHint(name string, cfg *Config) string {
	names := slices.Sorted(maps.Keys(cfg.Tunnels))
	if c := closest(name, names); c != "" {
		return "did you mean " + tomlQuote(c) + "?"
	}
	if len(names) > 0 {
		return "write one of " + orList(names)
	}
	return "add a [tunnel." + quoteKey(name) + "] table with its host"
}

// behaviour reads the fetch policy: sizes, counts, timeouts, IDLE and notifications.
func (d *decoder) behaviour(t *table, a *Account, cfg *Config, protoOK bool) {
	d.timeouts(t, a, cfg)
	a.POP3NoUIDL = NoUIDL(t.enum("pop3_no_uidl", noUIDLEnum, int(NoUIDLRefuse)))
	a.Limit = t.size("limit")
	a.LimitAction = LimitAction(t.enum("limit_action", limitActionEnum, int(LimitSkip)))
	if t.has("limit_action") && !t.has("limit") {
		t.problem("limit_action", `add limit = "10MB", or remove limit_action`, "has no effect without limit")
	}
	a.MaxMessages = int(t.integer("max_messages", 0, 0, maxCount))
	d.maxLine(t, a)
	a.Idle = t.boolean("idle", true)
	a.MaxConnections = int(t.integer("max_connections", 5, 1, maxCount))
	a.Notify = t.boolean("notify", false)
	a.NotifyCommand = t.argv("notify_command")
	if t.has("notify_command") && !a.Notify {
		t.problem("notify_command", "add notify = true, or remove notify_command", "has no effect without notify = true")
	}
	if protoOK {
		d.protocolOnly(t, a)
	}
}

// protocolOnly reports keys that make no sense for the account's protocol.
func (d *decoder) protocolOnly(t *table, a *Account) {
	other, keys := "pop3", []string{"idle", "idle_timeout"}
	if a.Protocol == IMAP {
		other, keys = "imap", []string{"pop3_no_uidl"}
	}
	for _, k := range keys {
		if t.has(k) {
			t.problem(k, "remove it", "has no meaning for protocol = %q", other)
		}
	}
	if a.Protocol == POP3 && a.POP3NoUIDL == NoUIDLFetchAllAndDelete && a.Keep {
		t.problem("pop3_no_uidl", `write keep = false, or pop3_no_uidl = "refuse"`,
			`"fetch-all-and-delete" needs keep = false: without UIDL, kept messages would be fetched again every time`)
	}
}
