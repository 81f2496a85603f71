package fetchmailrc

import (
	"fmt"
	"strconv"
	"strings"
)

// acct maps one fetchmail record (entry × user) to one [account.NAME] table.
type acct struct {
	r    *record
	c    *converter
	name string
	t    *tomlTable
	used map[string]bool

	host        string
	port        int // explicit port, 0 if none
	proto       string
	apop        bool
	ssl         bool
	rt          *route
	userName    string
	unsupported string // why the whole account is written commented out
	notes       []noteLine
}

// noteLine is a "# fetchmail:" comment, written after the account's keys in line order.
type noteLine struct {
	line int
	text string
}

func (c *converter) newAcct(r *record) *acct {
	a := &acct{r: r, c: c, used: map[string]bool{}, host: r.e.name}
	if r.e.noName {
		a.unsupported = "the entry has no server name"
	}
	if via := a.take("via"); via != nil {
		a.host = via.args[0]
	}
	if a.host == "" && a.unsupported == "" {
		a.unsupported = "the entry has an empty server name"
	}
	a.portSpec()
	a.protocol()
	a.ssl, _ = a.flag("ssl")
	a.userName = a.remoteName()
	a.route()
	return a
}

// take marks kw as mapped and returns the option in effect.
func (a *acct) take(kw string) *opt {
	a.used[kw] = true
	return a.r.get(kw)
}

// flag returns whether a yes/no option is on, and the option in effect.
func (a *acct) flag(kw string) (bool, *opt) {
	o := a.take(kw)
	return o != nil && !o.no, o
}

// note writes a comment about an option, and a warning if warn.
func (a *acct) note(o *opt, warn bool, format string, args ...any) {
	a.noteAt(o.line, optText(o), warn, fmt.Sprintf(format, args...), "")
}

// noteAt writes "fetchmail: what (line N): text detail" after the account's keys; the
// warning, if any, leaves out detail (a command line, which may hold anything).
func (a *acct) noteAt(line int, what string, warn bool, text, detail string) {
	c := fmt.Sprintf("fetchmail: %s (line %d): %s", what, line, text)
	if detail != "" {
		c = strings.TrimRight(c, ".") + ". " + detail
	}
	a.notes = append(a.notes, noteLine{line, c})
	if warn {
		a.c.d.add(line, "%s: %s", what, text)
	}
}

// warn reports something about this account that is not tied to one option. A
// commented-out account has had its one warning.
func (a *acct) warn(line int, format string, args ...any) {
	if a.unsupported == "" {
		a.c.d.add(line, "account %s: %s", a.name, fmt.Sprintf(format, args...))
	}
}

func (a *acct) portSpec() {
	port, service := a.take("port"), a.take("service")
	o := port
	if o == nil || service != nil && service.off > port.off {
		o = service
	}
	if o == nil {
		return
	}
	n, err := strconv.Atoi(o.args[0])
	if err != nil {
		n = servicePorts[o.args[0]]
	}
	if n < 1 || n > 65535 {
		a.note(o, true, "not a port fetchsecure knows; write port = NUMBER")
		return
	}
	a.port = n
}

var servicePorts = map[string]int{"pop3": 110, "pop3s": 995, "imap": 143, "imap2": 143,
	"imaps": 993, "kpop": 1109}

func (a *acct) protocol() {
	o := a.take("proto")
	p := "auto"
	if o != nil {
		p = o.args[0]
	}
	switch p {
	case "imap", "pop3":
		a.proto = p
	case "apop":
		a.proto, a.apop = "pop3", true
	case "etrn", "odmr":
		a.proto = "imap"
		a.unsupported = "protocol " + p + " asks the server to send mail by SMTP; fetchsecure fetches mail only"
	default:
		a.proto = "imap"
		if a.port == 110 || a.port == 995 || p != "auto" || a.port == 0 && looksPOP(a.host) {
			a.proto = "pop3"
		}
	}
}

// looksPOP guesses from a name such as pop.example.org or pop3.example.org.
func looksPOP(host string) bool {
	h := strings.ToLower(host)
	return strings.HasPrefix(h, "pop.") || strings.HasPrefix(h, "pop3.") || strings.HasPrefix(h, "pop3s.")
}

// protocolNote explains a protocol that did not map one to one.
func (a *acct) protocolNote() {
	o := a.r.get("proto")
	switch p := "auto"; {
	case o != nil && o.args[0] != "auto":
		p = o.args[0]
		if p == "pop2" || p == "rpop" || p == "kpop" || p == "sdps" {
			a.note(o, true, "fetchsecure speaks POP3 and IMAP only; imported as POP3 with a password "+
				"(check the port too)")
		}
	default:
		line, what := a.r.e.line, "no protocol"
		if o != nil {
			line, what = o.line, "proto auto"
		}
		a.noteAt(line, what, true, fmt.Sprintf("fetchmail tried IMAP, then POP3; imported as %s "+
			"(a guess from the port and the host name): set the protocol the server speaks",
			strings.ToUpper(a.proto)), "")
	}
}

// portOrDefault is the port fetchmail connects to.
func (a *acct) portOrDefault() int {
	switch {
	case a.port != 0:
		return a.port
	case a.proto == "pop3" && a.ssl:
		return 995
	case a.proto == "pop3":
		return 110
	case a.ssl:
		return 993
	}
	return 143
}

func (a *acct) route() {
	if pl := a.take("plugin"); pl != nil {
		a.rt = a.pluginRoute(pl)
	}
	pc := a.r.get("preconnect")
	if pc == nil || a.rt != nil {
		return
	}
	rt, why := a.preconnectRoute(pc)
	a.used["preconnect"] = true
	if rt == nil {
		a.noteAt(pc.line, "preconnect", true, "fetchsecure runs no command before connecting, and "+
			"this one is not an SSH tunnel it can take over ("+why+"); run it yourself before "+
			"fetchsecure (a wrapper script, or ExecStartPre= in a systemd unit).",
			"The command: "+oneLine(pc.args[0]))
		return
	}
	a.rt = rt
}
