// Package config reads fetchsecure's TOML configuration. It is the only package that
// knows the schema (docs: notes/schema.md, example: config.example.toml).
//
// Load decodes strictly, applies the defaults and validates everything, so that the rest
// of the program works with typed, resolved values: ports defaulted, paths absolute,
// durations and sizes parsed, tunnel references resolved. Every problem in the file is
// reported at once, each with the line to look at and what to write instead:
//
//	config.toml:7: account.work.tls: "ssl" is not a TLS mode; write "tls" (implicit TLS, port 993/995), "starttls" or "none"
//
// Load never runs a command and never reads a secret: password sources are described by
// a secret.Source and resolved when they are needed.
package config

import (
	"time"

	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// Config is a loaded, validated configuration.
type Config struct {
	File         string        // absolute path of the configuration file
	StateDir     string        // state, journal and lock (absolute)
	PollInterval time.Duration // daemon: default interval between polls of an account
	MaxParallel  int           // accounts fetched at the same time
	Timeout      time.Duration // default inactivity timeout of every network phase
	Hostname     string        // this machine's name in Received: headers

	Accounts []*Account         // in file order
	Tunnels  map[string]*Tunnel // by name
}

// Account is one [account.NAME] table.
type Account struct {
	Name string // the NAME of [account.NAME]
	File string // config file, as given to Load, for messages about this account
	Line int    // line of the account's table header

	Enabled  bool
	Protocol Protocol
	Host     string // as seen from the SSH server if Tunnel is set
	Port     int    // defaulted from Protocol and TLS

	TLS             TLSMode
	TLSServerName   string   // name verified in the certificate; defaults to Host
	CAFile          string   // extra PEM trust anchor (absolute path) or ""
	TLSFingerprints []string // SHA-256 public-key pins, 64 lowercase hex digits each

	User     string
	Password secret.Source // its Netrc is set (Auto) when none is configured; else prompt if interactive
	Auth     Auth
	Token    secret.Source // token_command, for Auth == AuthOAuth2
	OAuth    *OAuth        // the built-in OAuth2 client (oauth_provider), or nil

	Folders        []string // IMAP folders; ["INBOX"] for POP3
	Keep           bool     // leave messages on the server
	Target         Target
	MaildirFolders bool   // server folder X → Maildir++ .X (Target.Kind == Maildir)
	DeliverTo      string // %T, RCPT TO, Delivered-To
	AddReceived    bool
	Dedupe         Dedupe

	Tunnel        *Tunnel  // SSH tunnel, or nil
	TunnelCommand []string // argv whose stdin/stdout is the connection, or nil

	POP3NoUIDL     NoUIDL
	Timeout        time.Duration
	Limit          int64 // max message size in bytes; 0: no limit
	LimitAction    LimitAction
	MaxMessages    int // per run; 0: no limit
	MaxLine        int // longest reply outside message bodies; 0: the protocol's default
	PollInterval   time.Duration
	Idle           bool
	IdleTimeout    time.Duration
	MaxConnections int
	Notify         bool
	NotifyCommand  []string
}

// Target is where an account's messages are delivered.
type Target struct {
	Kind    TargetKind
	Path    string   // Maildir, Mbox: absolute path
	Argv    []string // MDA: command, %T and %F not yet substituted
	Network string   // LMTP, SMTP: "unix" or "tcp"
	Address string   // LMTP, SMTP: socket path or host:port
}

// Tunnel is one [tunnel.NAME] table: an SSH server to reach mail servers through.
type Tunnel struct {
	Name string
	File string
	Line int

	Host          string
	Port          int
	User          string
	IdentityFiles []string      // absolute paths; nil: ssh-agent and the default keys
	Passphrase    secret.Source // passphrase_command, or zero
	KnownHosts    []string      // absolute paths
	HostKey       string        // inline pin in authorized_keys format, or ""
	Jump          *Tunnel       // ProxyJump: reach this tunnel through Jump, or nil
	Keepalive     time.Duration
	Timeout       time.Duration
}
