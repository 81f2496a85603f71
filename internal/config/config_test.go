package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// writeConfig writes body to a config.toml in a new directory with the given mode.
func writeConfig(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, body string) *Config {
	t.Helper()
	cfg, err := Load(writeConfig(t, body, 0o600))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

const minimal = `
[account.work]
protocol = "imap"
host = "mail.example.org"
user = "me"
maildir = "Maildir"
`

func TestLoadDefaults(t *testing.T) {
	t.Setenv("HOME", "/home/test")
	t.Setenv("XDG_STATE_HOME", "")
	cfg := mustLoad(t, minimal)
	dir := filepath.Dir(cfg.File)
	if cfg.StateDir != "/home/test/.local/state/fetchsecure" || cfg.PollInterval != 5*time.Minute ||
		cfg.MaxParallel != 4 || cfg.Timeout != time.Minute || cfg.Hostname == "" {
		t.Errorf("top level: %+v", cfg)
	}
	a := cfg.Accounts[0]
	want := &Account{Name: "work", File: a.File, Line: 2, Enabled: true, Protocol: IMAP,
		Host: "mail.example.org", Port: 993, TLS: TLS, TLSServerName: "mail.example.org",
		User: "me", Auth: AuthAuto, Folders: []string{"INBOX"}, Keep: true,
		// No password source: ~/.netrc, then a prompt (as fetchmail).
		Password: secret.Source{Account: "work", Netrc: &secret.Netrc{Path: "/home/test/.netrc",
			Machine: "mail.example.org", Login: "me", Auto: true}},
		Token:  secret.Source{Account: "work"},
		Target: Target{Kind: Maildir, Path: filepath.Join(dir, "Maildir")}, AddReceived: true,
		Timeout: time.Minute, PollInterval: 5 * time.Minute, Idle: true,
		IdleTimeout: 29 * time.Minute, MaxConnections: 5}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("account:\n got %+v\nwant %+v", a, want)
	}
}

func TestLoadValues(t *testing.T) {
	t.Setenv("HOME", "/home/test")
	t.Setenv("USER", "tester")
	cfg := mustLoad(t, `
state_dir = "~/state"
timeout = "2m"
max_parallel = 2
hostname = "box.example.org"

[account."Work mail"]
protocol = "pop3"
host = "::1"
tls = "starttls"
user = "me"
password_command = ["pass", "show", "$(rm -rf /)"]
keep = false
lmtp = "unix:~/lmtp.sock"
deliver_to = "me"
pop3_no_uidl = "fetch-all-and-delete"
limit = "512KiB"
limit_action = "placeholder"
tls_fingerprint = "SHA256:`+strings.Repeat("AB:", 31)+`AB"

[account.b]
protocol = "imap"
host = "localhost"
port = 1143
tls = "none"
user = "me"
smtp = "[::1]"
deliver_to = "me@example.org"
tunnel = "t2"
idle_timeout = "10m"
limit = 1000

[tunnel.t1]
host = "gw.example.org"
host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

[tunnel.t2]
host = "ssh.example.org"
port = 2222
user = "tunneller"
jump = "t1"
identity_file = "id"
`)
	if cfg.StateDir != "/home/test/state" || cfg.Timeout != 2*time.Minute || cfg.MaxParallel != 2 {
		t.Errorf("top level: %+v", cfg)
	}
	if len(cfg.Accounts) != 2 || cfg.Accounts[0].Name != "Work mail" || cfg.Accounts[1].Name != "b" {
		t.Fatalf("accounts not in file order: %v", cfg.Accounts)
	}
	a, b := cfg.Accounts[0], cfg.Accounts[1]
	checkEqual(t, "a.Port", a.Port, 110)
	checkEqual(t, "a.Password.Command", a.Password.Command, []string{"pass", "show", "$(rm -rf /)"})
	checkEqual(t, "a.Target", a.Target, Target{Kind: LMTP, Network: "unix", Address: "/home/test/lmtp.sock"})
	checkEqual(t, "a.Limit", a.Limit, int64(512<<10))
	checkEqual(t, "a.LimitAction", a.LimitAction, LimitPlaceholder)
	checkEqual(t, "a.POP3NoUIDL", a.POP3NoUIDL, NoUIDLFetchAllAndDelete)
	checkEqual(t, "a.TLSFingerprints", a.TLSFingerprints, []string{strings.Repeat("ab", 32)})
	checkEqual(t, "a.Timeout", a.Timeout, 2*time.Minute)
	checkEqual(t, "b.Port", b.Port, 1143)
	checkEqual(t, "b.Target", b.Target, Target{Kind: SMTP, Network: "tcp", Address: "[::1]:25"})
	checkEqual(t, "b.Limit", b.Limit, int64(1000))
	checkEqual(t, "b.IdleTimeout", b.IdleTimeout, 10*time.Minute)
	t1, t2 := cfg.Tunnels["t1"], cfg.Tunnels["t2"]
	if b.Tunnel != t2 || t2.Jump != t1 || t1.Jump != nil {
		t.Errorf("tunnels not resolved: %+v", cfg.Tunnels)
	}
	checkEqual(t, "t2.IdentityFiles", t2.IdentityFiles, []string{filepath.Join(filepath.Dir(cfg.File), "id")})
	checkEqual(t, "t2.KnownHosts", t2.KnownHosts, []string{"/home/test/.ssh/known_hosts"})
	checkEqual(t, "t1.KnownHosts", t1.KnownHosts, []string(nil))
	checkEqual(t, "t2.Port", t2.Port, 2222)
	checkEqual(t, "t1.User", t1.User, "tester")
	checkEqual(t, "t1.Keepalive", t1.Keepalive, 30*time.Second)
}

func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func TestProblemString(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "c.toml", Line: 7, Key: "account.work.tls", Msg: `"ssl" is not a TLS mode`, Hint: `write "tls"`},
			`c.toml:7: account.work.tls: "ssl" is not a TLS mode; write "tls"`},
		{Problem{File: "c.toml", Line: 3, Col: 7, Msg: "TOML syntax error: x"}, "c.toml:3:7: TOML syntax error: x"},
		{Problem{File: "c.toml", Msg: "no account is configured"}, "c.toml: no account is configured"},
		{Problem{File: "c.toml", Line: 2, Key: keyString([]string{"account", "Work mail", "a.b"}), Msg: "m"},
			`c.toml:2: account."Work mail"."a.b": m`},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	var ps *Problems
	if fail.KindOf(err) != fail.Config || !errors.As(err, &ps) ||
		!strings.Contains(err.Error(), "no such file") || ps.List[0].Hint == "" {
		t.Errorf("err = %v (%v)", err, fail.KindOf(err))
	}
}

func TestRedacted(t *testing.T) {
	cfg := mustLoad(t, minimal+`password = "hunter2"
[account.b]
protocol = "pop3"
host = "pop.example.org"
user = "me"
password_command = ["pass", "b"]
mda = ["procmail"]
`)
	out := cfg.Redacted()
	if strings.Contains(out, "hunter2") || !strings.Contains(out, `password = "***"`) ||
		!strings.Contains(out, `password_command = ["pass", "b"]`) {
		t.Errorf("Redacted:\n%s", out)
	}
	// The rendering is itself a valid configuration with the same meaning.
	again := mustLoad(t, out)
	if again.Redacted() != out {
		t.Errorf("Redacted does not round-trip:\n%s\n---\n%s", out, again.Redacted())
	}
}

func TestDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Minute: `"5m"`, time.Hour: `"1h"`, 90 * time.Minute: `"1h30m"`, 30 * time.Second: `"30s"`,
		time.Hour + time.Second: `"1h0m1s"`, 1500 * time.Millisecond: `"1.5s"`,
	} {
		if got := dur(d); got != want {
			t.Errorf("dur(%v) = %s, want %s", d, got, want)
		}
	}
}
