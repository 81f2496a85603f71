package fetchmailrc

import (
	"fmt"
	"sort"
	"strings"
)

// emit writes the account's table, keys in a fixed order, then the notes.
func (a *acct) emit(t *tomlTable) {
	a.t = t
	t.disabled = a.unsupported != ""
	a.lead()
	if a.r.e.verb == "skip" {
		t.set("enabled", false, "fetchmail: skip (polled only when named on the command line)")
	}
	t.set("protocol", a.proto, "")
	if o := a.r.get("proto"); o == nil || o.args[0] != a.proto {
		a.protocolNote()
	}
	a.server()
	a.security()
	a.credentials()
	a.folders()
	a.keep()
	a.delivery()
	if o := a.c.invisible; o != nil {
		a.t.set("add_received", false, fmt.Sprintf("fetchmail: set invisible (line %d)", o.line))
	}
	a.limits()
	a.leftovers()
	sort.SliceStable(a.notes, func(i, j int) bool { return a.notes[i].line < a.notes[j].line })
	for _, n := range a.notes {
		t.comment(n.text)
	}
}

// lead says where the account came from, and why it is disabled if it is.
func (a *acct) lead() {
	e := a.r.e
	src := fmt.Sprintf("fetchmail: %s %s (line %d)", e.verb, quoteIfNeeded(e.name), e.line)
	if via := a.r.get("via"); via != nil {
		src = fmt.Sprintf("fetchmail: %s %s via %s (line %d)", e.verb, quoteIfNeeded(e.name),
			quoteIfNeeded(via.args[0]), e.line)
	}
	if e.noName {
		src = fmt.Sprintf("fetchmail: %s without a server name (line %d)", e.verb, e.line)
	}
	if a.r.def != nil {
		src += fmt.Sprintf(", with the defaults of line %d", a.r.def.line)
	}
	a.t.comment(src)
	if a.unsupported != "" {
		a.t.comment("NOT IMPORTED, written commented out: " + a.unsupported + ".")
		a.c.d.add(e.line, "the entry is written commented out: %s", a.unsupported)
	}
}

// server writes host, port and the tunnel.
func (a *acct) server() {
	host, port := a.host, a.port
	if a.rt != nil && a.rt.port != 0 {
		host, port = a.rt.host, a.rt.port
	}
	comment := ""
	if host != a.r.e.name && a.rt == nil {
		comment = "fetchmail: via"
	}
	if a.rt != nil && a.rt.tunnel != nil {
		comment = "as seen from the SSH server"
		if a.rt.from.kw == "preconnect" {
			comment += "; fetchmail connected to " + joinHostPort(a.host, a.portOrDefault())
		}
	}
	if host == "" {
		a.t.setOff("host", "", "the server's name")
	} else {
		a.t.set("host", host, comment)
		a.checkValue("host", host, a.r.e.line)
	}
	if port != 0 {
		a.t.set("port", port, "")
	}
	a.tunnelKeys()
}

func (a *acct) tunnelKeys() {
	switch rt := a.rt; {
	case rt == nil:
	case rt.tunnel != nil:
		a.t.set("tunnel", rt.tunnel.name, fmt.Sprintf("fetchmail: %s (line %d)", rt.from.kw, rt.from.line))
	default:
		a.t.set("tunnel_command", rt.command, fmt.Sprintf("fetchmail: plugin (line %d), with %%h and %%p filled in", rt.from.line))
	}
}

func (a *acct) folders() {
	a.used["folder"] = true
	vals, line := a.r.list("folder")
	if len(vals) == 0 {
		return
	}
	if a.proto == "pop3" {
		a.noteAt(line, "folder", true, "POP3 has a single mailbox, so fetchmail ignored the folders; "+
			"not imported", "")
		return
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range vals {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	comment := ""
	if len(out) < len(vals) {
		comment = "fetchmail listed some folders twice"
	}
	a.t.set("folders", out, comment)
	a.checkValue("folders", strings.Join(out, ""), line)
}

// keep writes keep, explicit either way, and warns about the first run: fetchsecure
// does not know which messages fetchmail already fetched.
func (a *acct) keep() {
	keep, o := a.flag("keep")
	line, comment := a.r.e.line, "fetchmail deletes the messages it fetched unless told `keep`"
	if o != nil {
		line, comment = o.line, ""
	}
	a.t.set("keep", keep, comment)
	fetchall := a.r.get("fetchall")
	switch {
	case keep:
		a.warn(line, "keep = true: the first run delivers again every message still on the server, as "+
			"fetchsecure does not know which ones fetchmail fetched (its .fetchids, the \\Seen flags)")
	case a.proto == "imap" && (fetchall == nil || fetchall.no):
		a.warn(line, "fetchmail left IMAP messages marked seen (read elsewhere) on the server; "+
			"fetchsecure fetches those too, and then deletes them from the server")
	}
}

func (a *acct) firstFolder() string {
	vals, _ := a.r.list("folder")
	if len(vals) == 0 {
		return "inbox"
	}
	return vals[0]
}

// limits writes timeout, limit, max_messages and idle.
func (a *acct) limits() {
	if o := a.take("timeout"); o != nil {
		a.seconds("timeout", o)
	} else if own := a.r.own("timeout"); len(own) > 0 {
		a.note(own[len(own)-1], false, "0 means fetchmail's default timeout; fetchsecure's applies")
	}
	if o := a.take("limit"); o != nil {
		if o.args[0] == "0" || strings.HasPrefix(o.args[0], "-") {
			a.note(o, false, "no size limit, which is fetchsecure's default too")
		} else {
			a.t.set("limit", atoi(o.args[0]), "bytes; fetchmail: limit")
		}
	}
	if o := a.take("fetchlimit"); o != nil && atoi(o.args[0]) > 0 {
		a.t.set("max_messages", atoi(o.args[0]), "fetchmail: fetchlimit")
	} else if o != nil {
		a.note(o, false, "no limit on the number of messages, which is fetchsecure's default too")
	}
	a.idle()
}

// seconds writes a duration given in seconds, or notes a value fetchsecure cannot use.
func (a *acct) seconds(key string, o *opt) {
	n := atoi(o.args[0])
	if n <= 0 {
		a.note(o, true, "fetchsecure needs a positive %s; not imported (the default applies)", key)
		return
	}
	a.t.set(key, fmt.Sprintf("%ds", n), "fetchmail: "+optText(o))
}

func (a *acct) idle() {
	on, o := a.flag("idle")
	switch {
	case o == nil:
	case a.proto != "imap":
		a.note(o, true, "IDLE is an IMAP command; POP3 accounts are polled")
	case on:
		a.t.set("idle", true, "fetchmail: idle")
	default:
		a.t.set("idle", false, "fetchmail: no idle")
	}
}

// leftovers notes every option the mapping did not use.
func (a *acct) leftovers() {
	for _, kw := range a.r.keywords() {
		if a.used[kw] {
			continue
		}
		o := a.r.shown(kw)
		text, warn := noteFor(o, a.multidrop())
		a.note(o, warn, "%s", text)
	}
}

func joinHostPort(host string, port int) string {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.Contains(host, ":") {
		return fmt.Sprintf("[%s]:%d", host, port)
	}
	return fmt.Sprintf("%s:%d", host, port)
}
