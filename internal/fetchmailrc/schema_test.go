package fetchmailrc

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// A test-side reading of the config schema (the contract internal/config implements), so that every output is checked against
// the contract that internal/config implements (the real check is added at merge).

type keyType int

const (
	tStr keyType = iota
	tInt
	tBool
	tStrList
	tStrOrList
	tDur
	tSize
)

var topKeys = map[string]keyType{"state_dir": tStr, "poll_interval": tDur, "max_parallel": tInt,
	"timeout": tDur, "hostname": tStr}

var accountKeys = map[string]keyType{
	"enabled": tBool, "protocol": tStr, "host": tStr, "port": tInt, "tls": tStr,
	"tls_server_name": tStr, "ca_file": tStr, "tls_fingerprint": tStrOrList, "user": tStr,
	"password": tStr, "password_command": tStrList, "password_file": tStr, "auth": tStr,
	"token_command": tStrList, "folders": tStrList, "keep": tBool, "maildir": tStr,
	"maildir_folders": tBool, "mda": tStrList, "mbox": tStr, "lmtp": tStr, "smtp": tStr,
	"deliver_to": tStr, "add_received": tBool, "dedupe": tStr, "tunnel": tStr,
	"tunnel_command": tStrList, "pop3_no_uidl": tStr, "timeout": tDur, "limit": tSize,
	"limit_action": tStr, "max_messages": tInt, "poll_interval": tDur, "idle": tBool,
	"idle_timeout": tDur, "max_connections": tInt, "notify": tBool, "notify_command": tStrList,
}

var tunnelKeys = map[string]keyType{"host": tStr, "port": tInt, "user": tStr,
	"identity_file": tStrOrList, "passphrase_command": tStrList, "known_hosts": tStrOrList,
	"host_key": tStr, "jump": tStr, "keepalive": tDur, "timeout": tDur}

var enums = map[string][]string{
	"protocol": {"imap", "pop3"}, "tls": {"tls", "starttls", "none"},
	"auth": {"auto", "plain", "login", "apop", "oauth2"}, "dedupe": {"", "message-id"},
	"pop3_no_uidl": {"refuse", "fetch-all-and-delete"}, "limit_action": {"skip", "fetch", "placeholder"},
}

var sizeRE = regexp.MustCompile(`(?i)^[0-9]+\s*([kmgt]i?)?b?$`)

// schemaProblems decodes out and lists every way it breaks the schema. With complete
// set, it also requires what an account must have (host, user, one delivery target).
func schemaProblems(out []byte, complete bool) []string {
	var doc map[string]any
	if _, err := toml.Decode(string(out), &doc); err != nil {
		return []string{"not TOML: " + err.Error()}
	}
	var p []string
	tunnels, _ := doc["tunnel"].(map[string]any)
	for k, v := range doc {
		switch k {
		case "account", "tunnel":
			tables, ok := v.(map[string]any)
			if !ok {
				p = append(p, k+" is not a table")
			}
			for name, t := range tables {
				p = append(p, checkTable(k, name, t, tunnels, complete)...)
			}
		default:
			p = append(p, checkKey(k, v, topKeys)...)
		}
	}
	sort.Strings(p)
	return p
}

func checkTable(kind, name string, v any, tunnels map[string]any, complete bool) []string {
	t, ok := v.(map[string]any)
	if !ok {
		return []string{kind + "." + name + " is not a table"}
	}
	keys := accountKeys
	if kind == "tunnel" {
		keys = tunnelKeys
	}
	var p []string
	for k, val := range t {
		for _, e := range checkKey(k, val, keys) {
			p = append(p, kind+"."+name+": "+e)
		}
	}
	var rules []string
	if kind == "account" {
		rules = accountRules(t, tunnels, complete)
	} else if j, ok := t["jump"].(string); ok && tunnels[j] == nil {
		rules = []string{"jump to a missing tunnel " + j}
	}
	for _, e := range rules {
		p = append(p, kind+"."+name+": "+e)
	}
	return p
}

func checkKey(k string, v any, keys map[string]keyType) []string {
	want, ok := keys[k]
	if !ok {
		return []string{"unknown key " + k}
	}
	bad := func() []string { return []string{fmt.Sprintf("%s: wrong type %T", k, v)} }
	switch want {
	case tStr:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		if e, ok := enums[k]; ok && !slices.Contains(e, s) {
			return []string{fmt.Sprintf("%s: bad value %q", k, s)}
		}
	case tInt:
		if n, ok := v.(int64); !ok || (k == "port" && (n < 1 || n > 65535)) || n < 0 {
			return bad()
		}
	case tBool:
		if _, ok := v.(bool); !ok {
			return bad()
		}
	case tStrList, tStrOrList:
		if _, ok := v.(string); ok && want == tStrOrList {
			return nil
		}
		l, ok := v.([]any)
		if !ok {
			return bad()
		}
		for _, e := range l {
			if _, ok := e.(string); !ok {
				return bad()
			}
		}
	case tDur:
		s, ok := v.(string)
		if _, err := time.ParseDuration(s); !ok || err != nil {
			return bad()
		}
	case tSize:
		if s, ok := v.(string); ok && sizeRE.MatchString(s) {
			return nil
		}
		if _, ok := v.(int64); !ok {
			return bad()
		}
	}
	return nil
}

func accountRules(t map[string]any, tunnels map[string]any, complete bool) []string {
	var p []string
	host, _ := t["host"].(string)
	_, tun := t["tunnel"]
	_, cmd := t["tunnel_command"]
	if tls, _ := t["tls"].(string); tls == "none" && !tun && !cmd && !isLoopback(host) {
		p = append(p, "tls none to a remote host")
	}
	if name, ok := t["tunnel"].(string); ok && tunnels[name] == nil {
		p = append(p, "tunnel "+name+" does not exist")
	}
	if tun && cmd {
		p = append(p, "both tunnel and tunnel_command")
	}
	if t["protocol"] == "pop3" && t["folders"] != nil {
		p = append(p, "folders on a POP3 account")
	}
	if t["auth"] == "apop" && t["protocol"] != "pop3" {
		p = append(p, "apop on IMAP")
	}
	n := 0
	for _, k := range []string{"password", "password_command", "password_file"} {
		if t[k] != nil {
			n++
		}
	}
	if n > 1 {
		p = append(p, "several password sources")
	}
	return append(p, deliveryRules(t, host, complete)...)
}

func deliveryRules(t map[string]any, host string, complete bool) []string {
	var p []string
	n := 0
	for _, k := range []string{"maildir", "mda", "mbox", "lmtp", "smtp"} {
		if t[k] != nil {
			n++
		}
	}
	if n > 1 {
		p = append(p, "several delivery targets")
	}
	if complete && (t["smtp"] != nil || t["lmtp"] != nil) && t["deliver_to"] == nil {
		p = append(p, "smtp/lmtp without deliver_to")
	}
	if s, ok := t["smtp"].(string); ok {
		if _, _, err := net.SplitHostPort(s); err != nil {
			p = append(p, "smtp is not host:port")
		}
	}
	if s, ok := t["lmtp"].(string); ok && !strings.HasPrefix(s, "unix:/") {
		if _, _, err := net.SplitHostPort(s); err != nil {
			p = append(p, "lmtp is neither unix:/path nor host:port")
		}
	}
	if complete && (n != 1 || host == "" || t["user"] == nil || t["protocol"] == nil) {
		p = append(p, "incomplete: needs protocol, host, user and one delivery target")
	}
	return p
}

func TestSchemaCheckerCatchesMistakes(t *testing.T) {
	bad := `
poll_interval = 30
[account.a]
protocol = "smtp"
host = "mail.example.org"
tls = "none"
PASSWORD = "x"
folders = ["INBOX"]
smtp = "localhost"
[account.b]
protocol = "pop3"
host = "h"
folders = ["x"]
tunnel = "nope"
`
	got := strings.Join(schemaProblems([]byte(bad), true), "\n")
	for _, want := range []string{"poll_interval: wrong type", "protocol: bad value", "unknown key PASSWORD",
		"tls none to a remote host", "smtp/lmtp without deliver_to", "smtp is not host:port",
		"folders on a POP3 account", "tunnel nope does not exist", "incomplete"} {
		if !strings.Contains(got, want) {
			t.Errorf("schema checker missed %q; it said:\n%s", want, got)
		}
	}
}
