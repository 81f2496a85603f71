package fetchmailrc

import (
	"fmt"
	"strconv"
	"strings"
)

// converter turns the parsed file into the TOML document.
type converter struct {
	opts        Options
	d           *diags
	doc         tomlDoc
	tunnels     []*tunnelOut
	tunnelKeys  map[string]*tunnelOut
	tunnelNames *names
	passwords   int
	invisible   *opt // `set invisible`: no Received header in any account
}

func convert(rc *rcFile, name string, opts Options, d *diags) []byte {
	c := &converter{opts: opts, d: d, tunnelKeys: map[string]*tunnelOut{}, tunnelNames: newNames()}
	var accts []*acct
	for _, r := range records(rc, d) {
		accts = append(accts, c.newAcct(r))
	}
	nameAccounts(accts)
	c.globals(rc)
	for _, a := range accts {
		a.emit(c.doc.table("account." + a.name))
	}
	for _, t := range c.tunnels {
		t.emit(&c.doc)
	}
	c.header(rc, name, len(accts))
	return c.doc.bytes()
}

func (c *converter) header(rc *rcFile, name string, accounts int) {
	h := &c.doc.head
	h.comment(fmt.Sprintf("fetchsecure configuration imported from the fetchmail run-control file %s "+
		"by `fetchsecure import-fetchmailrc`. Read every \"fetchmail:\" comment, and check the result "+
		"with fetchsecure before you use it.", quote(name)))
	if c.passwords > 0 {
		n := "a password"
		if c.passwords > 1 {
			n = fmt.Sprintf("%d passwords", c.passwords)
		}
		h.comment("SECRETS: this file holds " + n + " copied from the original. Keep it private " +
			"(mode 0600); better, store passwords in your keyring, set password_command and delete " +
			"them here.")
	} else {
		h.comment("It holds no password, but says where your mail is: keep it private (mode 0600).")
	}
	if rc.rejected != 0 {
		h.comment(fmt.Sprintf("fetchmail 6.4 itself rejects this file (first error on line %d); where "+
			"it does, the import guesses what was meant: see the warnings.", rc.rejected))
	}
	if accounts == 0 {
		h.comment("No poll entry was found: there is no account to import.")
		c.d.add(0, "no poll entry: the configuration has no account")
	}
}

// globals writes the `set` statements: the last of each kind counts, as in fetchmail.
func (c *converter) globals(rc *rcFile) {
	last := map[string]*opt{}
	for _, o := range rc.globals {
		last[o.kw] = o
	}
	for _, o := range rc.globals { // in file order
		if last[o.kw] == o {
			c.global(o)
		}
	}
}

func (c *converter) global(o *opt) {
	t := &c.doc.top
	what := "set " + optText(o)
	switch {
	case o.kw == "daemon" && atoi(o.args[0]) > 0:
		t.set("poll_interval", fmt.Sprintf("%ds", atoi(o.args[0])),
			fmt.Sprintf("fetchmail: %s (line %d); used when fetchsecure runs as a daemon", what, o.line))
		return
	case o.kw == "invisible" && !o.no:
		c.invisible = o
	}
	text, warn := globalNote(o)
	t.comment(fmt.Sprintf("fetchmail: %s (line %d): %s", what, o.line, text))
	if warn {
		c.d.add(o.line, "%s: %s", what, text)
	}
	if len(o.args) > 0 && placeholder.MatchString(o.args[0]) {
		c.d.add(o.line, "%s looks like an unfilled template placeholder; fetchmail used it literally", what)
	}
	if len(o.args) > 0 && strings.ContainsAny(o.args[0], `"'`) {
		c.d.add(o.line, "%s: the value holds a quote character; fetchmail kept it as part of the value "+
			"(a stray quote?)", what)
	}
}

func globalNote(o *opt) (string, bool) {
	never := "fetchsecure never sends error mail: a message it cannot deliver stays on the server, and the run reports it"
	switch k := o.kw; {
	case k == "daemon":
		return "fetchmail ran once; fetchsecure too, unless started as a daemon", false
	case k == "logfile":
		return "fetchsecure logs to standard error: redirect it, or let systemd or cron keep it", true
	case k == "syslog" && !o.no:
		return "fetchsecure logs to standard error (under systemd, to the journal)", true
	case k == "idfile":
		return "fetchsecure keeps its own state in state_dir; it does not read fetchmail's record of fetched messages", true
	case k == "pidfile":
		return "fetchsecure holds a lock in state_dir instead", false
	case k == "postmaster", k == "bouncemail" && !o.no, k == "spambounce" && !o.no:
		return never, true
	case k == "softbounce" && o.no:
		return "fetchmail deleted mail that could never be delivered; fetchsecure leaves it on the server and reports it", true
	case k == "softbounce":
		return "what fetchsecure does: a message it cannot deliver stays on the server", false
	case k == "syslog":
		return "fetchmail's default; fetchsecure logs to standard error", false
	case k == "invisible" && !o.no:
		return "no Received header: add_received = false in every account", false
	case k == "invisible":
		return "fetchsecure adds a Received header too (add_received)", false
	case k == "showdots":
		return "a progress display; fetchsecure has its own", false
	case k == "properties":
		return "ignored by fetchmail too (for extension scripts)", false
	}
	return "fetchsecure never sends error mail either", false // no bouncemail, no spambounce
}

// atoi reads a number the lexer checked; out of range reads as 0 (not imported).
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n > 1<<31-1 || n < -1<<31 {
		return 0
	}
	return n
}
