package fetchmailrc

import (
	"fmt"
	"strconv"
	"strings"
)

// delivery writes where messages go. fetchmail's order: a bsmtp file, else the mda,
// else SMTP (or LMTP) to the smtphost list, by default localhost:25.
func (a *acct) delivery() {
	bsmtp, mda := a.take("bsmtp"), a.take("mda")
	lmtp, _ := a.flag("lmtp")
	a.used["smtphost"], a.used["smtpname"], a.used["smtpaddress"] = true, true, true
	hosts, line := a.r.list("smtphost")
	switch {
	case bsmtp != nil:
		a.note(bsmtp, true, "fetchmail wrote the messages to a BSMTP batch file; fetchsecure has no "+
			"such target: choose maildir, mbox, mda, lmtp or smtp")
	case mda != nil:
		a.mda(mda)
		if len(hosts) > 0 {
			a.noteAt(line, "smtphost", false, "ignored by fetchmail, as the mda delivers", "")
		}
	case lmtp:
		a.listener("lmtp", hosts, line)
	default:
		a.listener("smtp", hosts, line)
	}
}

// mda converts the MDA command line to an argv, if it needs no shell.
func (a *acct) mda(o *opt) {
	cmd := o.args[0]
	sh := splitShell(cmd)
	comment := "fetchmail: mda"
	if sh.expandHome(a.c.opts.HomeDir) {
		comment = "fetchmail: mda, with ~ expanded as its shell did"
	}
	words := sh.words
	if strings.Contains(cmd, "%s") {
		for i, w := range words {
			words[i] = strings.ReplaceAll(w, "%s", "%T")
		}
		comment += "; its old %s is %T"
	}
	switch {
	case len(words) == 0:
		a.note(o, true, "an empty mda: fetchmail could not deliver; choose maildir, mbox, mda, lmtp or smtp")
		return
	case len(sh.features) > 0 || sh.tail != "":
		a.mdaNeedsShell(o, sh, words)
		return
	}
	a.t.set("mda", words, comment)
	if strings.Contains(strings.Join(words, " "), "%T") {
		a.deliverTo()
	}
}

func (a *acct) mdaNeedsShell(o *opt, sh shellCmd, words []string) {
	features := sh.features
	if sh.tail != "" {
		features = append(features, "a trailing "+sh.tail)
	}
	if sh.structural {
		words = []string{"/path/to/script", "%T"}
	}
	a.t.setOff("mda", words, "fetchmail's mda needs a shell: see below")
	text := "fetchmail ran the mda with /bin/sh, and this one uses " + strings.Join(features, ", ") +
		"; fetchsecure runs the mda directly, without a shell. Put the command in a script and set " +
		"mda = [\"/path/to/script\", \"%T\"], or deliver with maildir instead"
	if strings.Contains(o.args[0], "$F") || strings.Contains(o.args[0], "$T") {
		text += " (and $F or $T in it is a shell variable, probably meant as %F or %T)"
	}
	a.noteAt(o.line, "mda", true, text, "The command: "+oneLine(o.args[0]))
}

// listener writes smtp or lmtp from the first smtphost ("host", "host/port", or an LMTP
// socket "/path").
func (a *acct) listener(kind string, hosts []string, line int) {
	comment := "fetchmail: smtphost"
	if len(hosts) == 0 {
		if kind == "lmtp" {
			a.noteAt(a.r.get("lmtp").line, "lmtp", true, "LMTP needs smtphost with a port or a socket "+
				"path; fetchmail refused this entry. Set lmtp = \"unix:/path\" or \"host:port\"", "")
			return
		}
		hosts = []string{"localhost"}
		comment = "fetchmail's default delivery; for local mail, maildir = \"~/Maildir\" is simpler"
	}
	if len(hosts) > 1 {
		a.noteAt(line, "smtphost", true, fmt.Sprintf("fetchmail tried %s in turn; fetchsecure "+
			"delivers to one: imported the first", strings.Join(hosts, ", ")), "")
	}
	addr, err := listenerAddr(kind, hosts[0])
	if err != "" {
		a.noteAt(line, "smtphost", true, err, "")
		return
	}
	a.t.set(kind, addr, comment)
	a.deliverTo()
}

// listenerAddr turns fetchmail's "host/port" or "/socket" into fetchsecure's form.
func listenerAddr(kind, h string) (string, string) {
	if strings.HasPrefix(h, "/") {
		if kind == "lmtp" {
			return "unix:" + h, ""
		}
		return "", "an SMTP socket path; fetchsecure delivers by SMTP over TCP only"
	}
	host, port := h, 25
	if i := strings.LastIndexByte(h, '/'); i >= 0 {
		host = h[:i]
		p, err := strconv.Atoi(h[i+1:])
		if err != nil {
			p = map[string]int{"smtp": 25, "submission": 587, "lmtp": 24}[h[i+1:]]
		}
		if p < 1 || p > 65535 {
			return "", "cannot read the port of " + h + "; write " + kind + " = \"host:port\""
		}
		port = p
	} else if kind == "lmtp" {
		return "", "LMTP needs a port (fetchmail refused the default, 25): write lmtp = \"host:port\""
	}
	return joinHostPort(host, port), ""
}

// deliverTo writes the recipient fetchmail used: smtpname, else the (first) local name,
// with smtpaddress as its domain, else the login name.
func (a *acct) deliverTo() {
	if o := a.r.get("smtpname"); o != nil {
		a.t.set("deliver_to", o.args[0], "fetchmail: smtpname")
		return
	}
	locals, wildcard := a.r.locals()
	name, comment := a.c.opts.LocalUser, "fetchmail's default: your login name"
	if len(locals) > 0 {
		name, comment = locals[0].local, ""
	}
	if o := a.r.get("smtpaddress"); o != nil && !strings.Contains(name, "@") && name != "" {
		name, comment = name+"@"+o.args[0], "fetchmail: smtpaddress"
	}
	if len(locals) > 1 || wildcard || len(locals) == 1 && locals[0].pair {
		comment = "the first of fetchmail's local names; see below"
		a.multidropNote(locals, wildcard)
	}
	if name == "" {
		a.t.setOff("deliver_to", "", comment)
		a.warn(a.r.u.line, "no local recipient: fetchmail used your login name; set deliver_to")
		return
	}
	a.t.set("deliver_to", name, comment)
	a.checkValue("deliver_to", name, a.r.u.line)
}

func (a *acct) multidrop() bool {
	locals, wildcard := a.r.locals()
	return len(locals) > 1 || wildcard
}

func (a *acct) multidropNote(locals []mapping, wildcard bool) {
	line := a.r.u.line
	if len(locals) > 0 {
		line = locals[0].line
	}
	text := "several local names (multidrop): fetchmail sorted messages to them by their headers. " +
		"fetchsecure delivers every message of an account to one recipient (deliver_to); to sort " +
		"by recipient, deliver by SMTP or LMTP to a mail server that does it"
	if !a.multidrop() {
		text = "a name mapping (remote=local) only matters for multidrop; delivered to the local name"
	}
	a.noteAt(line, "local names", true, text, "")
}
