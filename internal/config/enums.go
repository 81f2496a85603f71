package config

import "fmt"

// Protocol is the mail retrieval protocol of an account.
type Protocol int

// Protocols.
const (
	IMAP Protocol = iota // RFC 9051
	POP3                 // RFC 1939
)

var protocolNames = []string{"imap", "pop3"}

func (p Protocol) String() string { return enumName(protocolNames, p) }

// TLSMode says how the connection to the mail server is secured.
type TLSMode int

// TLS modes.
const (
	TLS      TLSMode = iota // implicit TLS from the first byte (RFC 8314), ports 993/995
	StartTLS                // plaintext greeting, then STARTTLS/STLS; never falls back
	NoTLS                   // plaintext: only to loopback or through a tunnel
)

var tlsNames = []string{"tls", "starttls", "none"}

func (m TLSMode) String() string { return enumName(tlsNames, m) }

// Auth is the authentication mechanism of an account.
type Auth int

// Authentication mechanisms.
const (
	AuthAuto   Auth = iota // SASL PLAIN if offered, else LOGIN (IMAP) or USER/PASS (POP3)
	AuthPlain              // SASL PLAIN (RFC 4616)
	AuthLogin              // IMAP LOGIN or POP3 USER/PASS
	AuthAPOP               // POP3 APOP (RFC 1939 §7)
	AuthOAuth2             // OAUTHBEARER/XOAUTH2 with a token from token_command
)

var authNames = []string{"auto", "plain", "login", "apop", "oauth2"}

func (a Auth) String() string { return enumName(authNames, a) }

// TargetKind is the kind of an account's delivery target.
type TargetKind int

// Delivery target kinds, in the order of the schema.
const (
	Maildir TargetKind = iota
	MDA
	Mbox
	LMTP
	SMTP
)

var targetNames = []string{"maildir", "mda", "mbox", "lmtp", "smtp"}

func (k TargetKind) String() string { return enumName(targetNames, k) }

// Dedupe says whether messages are de-duplicated before delivery.
type Dedupe int

// Dedupe modes.
const (
	DedupeOff       Dedupe = iota // deliver every message
	DedupeMessageID               // skip a Message-ID already delivered from this account
)

var dedupeNames = []string{"", "message-id"}

func (d Dedupe) String() string { return enumName(dedupeNames, d) }

// NoUIDL is what to do with a POP3 server that lacks UIDL (RFC 1939 §7).
type NoUIDL int

// NoUIDL policies.
const (
	NoUIDLRefuse            NoUIDL = iota // refuse to fetch: messages cannot be told apart
	NoUIDLFetchAllAndDelete               // fetch everything, then delete it (keep = false)
)

var noUIDLNames = []string{"refuse", "fetch-all-and-delete"}

func (n NoUIDL) String() string { return enumName(noUIDLNames, n) }

// LimitAction is what to do with a message larger than an account's limit.
type LimitAction int

// Limit actions.
const (
	LimitSkip        LimitAction = iota // leave it on the server, fetch the others
	LimitFetch                          // fetch it anyway (the limit only warns)
	LimitPlaceholder                    // deliver a short notice instead of the message
)

var limitActionNames = []string{"skip", "fetch", "placeholder"}

func (a LimitAction) String() string { return enumName(limitActionNames, a) }

func enumName[E ~int](names []string, e E) string {
	if e >= 0 && int(e) < len(names) {
		return names[e]
	}
	return fmt.Sprintf("%d", int(e))
}
