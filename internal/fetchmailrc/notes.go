package fetchmailrc

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// What to say about an option that has no key in fetchsecure. The bool is whether to
// warn: true when fetchsecure behaves differently from what the option asked for, false
// when it already does what the option asks (so the comment is only for the record).
type noteText struct {
	text string
	warn bool
}

const (
	multidropOnly = "only used with several local names (multidrop); like fetchmail, it has no effect on this account"
	noHeaderEdits = "fetchsecure delivers every message exactly as the server sent it"
	asSent        = " (fetchsecure delivers every message exactly as the server sent it)"
)

var userNotes = map[string]noteText{
	"fetchdomains":   {"only for ETRN and ODMR, which fetchsecure does not speak", false},
	"antispam":       {"fetchsecure does not treat SMTP spam refusals specially: a message the SMTP server refuses stays on the mail server and the run reports it", true},
	"postconnect":    {"fetchsecure runs no command after a poll; run it yourself after fetchsecure (a wrapper script, or ExecStartPost= in a systemd unit)", true},
	"flush":          {"fetchmail deleted old messages already marked seen; fetchsecure deletes only what it delivered itself (keep = false)", true},
	"limitflush":     {"fetchmail deleted messages over the size limit; fetchsecure never deletes a message it did not deliver (see limit_action)", true},
	"fetchall":       {"fetchsecure fetches every message it has not delivered yet, seen or not, as fetchall did", false},
	"rewrite":        {"fetchsecure never rewrites addresses in headers" + asSent, true},
	"forcecr":        {"fetchsecure chooses the line endings each delivery target needs", false},
	"stripcr":        {"fetchsecure chooses the line endings each delivery target needs", false},
	"pass8bits":      {"fetchsecure passes 8-bit messages unchanged", false},
	"dropstatus":     {"fetchsecure keeps Status and X-Mozilla-Status lines" + asSent, true},
	"dropdelivered":  {"fetchsecure keeps Delivered-To lines" + asSent, true},
	"mimedecode":     {"fetchsecure does not decode quoted-printable" + asSent, true},
	"sslkey":         {"fetchsecure does not present client certificates", true},
	"sslcert":        {"fetchsecure does not present client certificates", true},
	"warnings":       {"fetchmail mailed warnings about messages over the size limit; fetchsecure logs each message it skips", true},
	"fetchsizelimit": {"a performance setting fetchsecure does not need", false},
	"fastuidl":       {"a performance setting fetchsecure does not need", false},
	"batchlimit":     {"fetchsecure manages its SMTP connections itself", false},
	"expunge":        {"fetchsecure expunges (or QUITs) once deliveries are durable", false},
	"properties":     {"ignored by fetchmail too (for extension scripts)", false},
	"preconnect":     {"fetchsecure runs no command before connecting; run it yourself before fetchsecure", true},
}

var serverNotes = map[string]noteText{
	"principal":     {"fetchsecure does not support Kerberos", true},
	"esmtpname":     {"fetchsecure does not log in to the SMTP server it delivers to", true},
	"esmtppassword": {"fetchsecure does not log in to the SMTP server it delivers to", true},
	"uidl":          {"fetchsecure always keeps the UIDLs of the POP3 messages it delivered (RFC 1939 §7)", false},
	"interface":     {"fetchsecure polls whatever the network state; start it from your network manager's hooks if needed", true},
	"monitor":       {"fetchsecure polls whatever the network state; start it from your network manager's hooks if needed", true},
	"plugout":       {"fetchsecure connects to the SMTP or LMTP server itself", true},
	"tracepolls":    {"no equivalent: fetchsecure's Received header does not name the poll", true},
	"interval":      {"no equivalent: fetchsecure has no per-account skip count; set poll_interval on this account to that many times the global one", true},
}

// noteFor says what to write about an unmapped option.
func noteFor(o *opt, multidrop bool) (string, bool) {
	switch o.kw {
	case "aka", "localdomains", "dns", "checkalias", "envelope", "qvirtual":
		if multidrop {
			return "multidrop address matching; fetchsecure delivers each account to one recipient", true
		}
		return multidropOnly, false
	case "bad-header":
		if o.args[0] == "accept" {
			return noHeaderEdits + ", bad headers included", false
		}
		return "fetchsecure does not reject messages with bad headers" + asSent, true
	case "interval":
		if atoi(o.args[0]) <= 1 {
			return "fetchmail's default: polled every time", false
		}
	case "antispam":
		if len(o.args) == 1 && o.args[0] == "-1" {
			return "turns spam detection off, as in fetchsecure", false
		}
	}
	if o.no {
		return noFor(o)
	}
	if n, ok := userNotes[o.kw]; ok {
		return n.text, n.warn
	}
	if n, ok := serverNotes[o.kw]; ok {
		return n.text, n.warn
	}
	return "no equivalent in fetchsecure; not imported", true
}

// noFor covers `no OPTION`: mostly fetchmail's default, and fetchsecure's behaviour.
func noFor(o *opt) (string, bool) {
	switch o.kw {
	case "rewrite", "dropstatus", "dropdelivered", "mimedecode":
		return noHeaderEdits, false
	case "fetchall":
		return "fetchmail skipped messages marked seen; fetchsecure fetches every message it has not delivered yet", false
	case "ssl":
		return "the default", false
	}
	return "fetchmail's default, and fetchsecure does the same", false
}

// optText shows an option as written, without secrets.
func optText(o *opt) string {
	s := o.kw
	if o.no {
		s = "no " + s
	}
	if o.kw == "password" || o.kw == "esmtppassword" {
		return s + " …"
	}
	for _, a := range o.args {
		s += " " + quoteIfNeeded(a)
	}
	return s
}

// quoteIfNeeded shows a value bare if it is a simple word, else as a TOML string.
func quoteIfNeeded(s string) string {
	if s != "" && utf8.ValidString(s) && !strings.ContainsAny(s, " \t\r\n\"'\\#=;:,") &&
		strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0 {
		return s
	}
	return quote(s)
}

// placeholder matches ${VAR}, $VAR$, $VAR, <something> and SHOUTED_WORDS, which
// templates and examples use for the values to fill in.
var placeholder = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*\$|^\$[A-Za-z_][A-Za-z0-9_]*$|^<[^<>]*>$|^[A-Z][A-Z0-9_]{3,}$`)

// checkValue warns about a value that looks like an unfilled template, or that TOML
// cannot hold.
func (a *acct) checkValue(key, val string, line int) {
	shown := quote(val)
	if key == "password" {
		shown = "(the value)"
	}
	if placeholder.MatchString(val) {
		a.warn(line, "%s %s looks like an unfilled template placeholder; fetchmail used it literally", key, shown)
	}
	if !utf8.ValidString(val) {
		a.warn(line, "%s %s is not valid UTF-8, which TOML cannot hold: invalid bytes became U+FFFD", key, shown)
	}
}
