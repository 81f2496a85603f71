package fetchmailrc

import (
	"fmt"
)

// The parser follows fetchmail 6.4's grammar (rcfile_y.y): `set` statements and server
// entries (poll/skip/defaults NAME, server options, then user descriptions each
// followed by user options). It is lenient where fetchmail is strict: options in the
// wrong order are taken with a warning, and a syntax error skips the offending word (see
// recover.go) instead of rejecting the file.

type parser struct {
	lx    *lexer
	ahead []token
	last  token // the token consumed last
	rc    *rcFile
	d     *diags

	pending    *syntaxErr    // syntax errors on one line, reported together
	undo       *pendingValue // the last value read in the NAME state, for recovery
	secretLine int           // line of the last password, kept out of messages
}

func parse(src string, d *diags) (*rcFile, *lexError) {
	p := &parser{lx: newLexer(src), rc: &rcFile{}, d: d}
	p.file()
	return p.rc, p.lx.err
}

func (p *parser) peekAt(i int) token {
	for len(p.ahead) <= i {
		p.ahead = append(p.ahead, p.lx.next())
	}
	return p.ahead[i]
}

func (p *parser) peek() token { return p.peekAt(0) }

func (p *parser) next() token {
	t := p.peek()
	p.ahead = p.ahead[1:]
	p.last = t
	return t
}

func (t token) is(kw string) bool { return t.kind == tKeyword && t.kw == kw }

func (t token) startsStatement() bool {
	return t.kind == tEOF || t.is("set") || t.is("poll") || t.is("skip") || t.is("defaults")
}

func (p *parser) file() {
	for {
		switch t := p.peek(); {
		case t.kind == tEOF:
			p.flushSyntaxErr()
			return
		case t.is("set"):
			p.set()
		case t.startsStatement():
			p.entry()
		default:
			p.recover(t, "expected poll, skip, defaults or set")
		}
	}
}

// set parses a global option: set [no] flag, or set name [=] value.
func (p *parser) set() {
	p.next()
	no := false
	for {
		t := p.peek()
		kind, valued := globalValued[t.kw]
		switch {
		case t.is("no") && !no:
			no = true
			p.next()
			continue
		case t.kind == tKeyword && globalNegatable[t.kw]:
			p.next()
			p.rc.globals = append(p.rc.globals, &opt{kw: t.kw, no: no, line: t.line, off: t.off})
		case t.kind == tKeyword && valued && !no:
			p.next()
			o := &opt{kw: t.kw, line: t.line, off: t.off}
			if p.peek().kind == tMap {
				p.next()
			}
			if p.arg(o, kind, t) {
				p.rc.globals = append(p.rc.globals, o)
			}
		case p.retry(t):
			continue
		default:
			p.syntaxError(t, "not a global option")
			if !t.startsStatement() {
				p.skip()
			}
		}
		return
	}
}

func (p *parser) entry() {
	head := p.next()
	e := &entry{verb: head.kw, line: head.line}
	if e.verb != "defaults" {
		if t := p.peek(); t.kind == tString {
			e.name = p.next().val
		} else {
			e.noName = true
			p.syntaxError(t, fmt.Sprintf("`%s` needs a server name", head.raw))
		}
	}
	p.rc.entries = append(p.rc.entries, e)
	var cur *userBlock
	orderWarned := false
	for t := p.peek(); !t.startsStatement(); t = p.peek() {
		switch p.context(t) {
		case "user":
			cur = p.userDesc(e, cur)
		case "server":
			if cur != nil && !orderWarned {
				orderWarned = true
				p.reject(t.line, "%s is a server option after user options: fetchmail 6.4 rejects that "+
					"(server options come before `user`); imported as a server option", t)
			}
			p.option(&e.server, serverOptions)
		case "useropt":
			if cur == nil {
				cur = &userBlock{line: t.line, implicit: true}
				e.users = append(e.users, cur)
			}
			p.userOption(cur)
		default:
			p.recover(t, "not an option")
		}
	}
}

// context tells what a token starts inside an entry: "user" (a user description),
// "server" or "useropt" (an option), or "" (a syntax error).
func (p *parser) context(t token) string {
	if t.kind != tKeyword {
		return ""
	}
	kw := t.kw
	if kw == "no" {
		n := p.peekAt(1)
		switch {
		case n.kind == tKeyword && serverNegatable[n.kw]:
			return "server"
		case n.kind == tKeyword && userNegatable[n.kw]:
			return "useropt"
		}
		return ""
	}
	switch _, server := serverOptions[kw]; {
	case kw == "user":
		return "user"
	case server:
		return "server"
	case kw == "is" || kw == "to":
		return "useropt"
	}
	if _, ok := userOptions[kw]; ok {
		return "useropt"
	}
	return ""
}

// option parses one option, `no keyword` included, into dst.
func (p *parser) option(dst *[]*opt, table map[string]argKind) {
	t := p.next()
	o := &opt{kw: t.kw, line: t.line, off: t.off}
	if t.is("no") {
		o.kw, o.no = p.next().kw, true
		*dst = append(*dst, o)
		return
	}
	if p.arg(o, table[o.kw], t) {
		*dst = append(*dst, o)
	}
	if o.kw == "proto" && len(o.args) > 0 && o.args[0] == "kpop" {
		// rcfile_y.y: KPOP also sets the service, as if `service kpop` followed.
		*dst = append(*dst, &opt{kw: "service", args: []string{"kpop"}, line: o.line, off: o.off})
	}
}

func (p *parser) userOption(u *userBlock) {
	t := p.peek()
	if t.is("is") || t.is("to") {
		p.next()
		p.names(u, t, false)
		return
	}
	p.option(&u.opts, userOptions)
}

// userDesc parses `user NAME [there]`, `user NAMES here`, and starts a user block.
func (p *parser) userDesc(e *entry, cur *userBlock) *userBlock {
	kw := p.next()
	u := &userBlock{line: kw.line}
	if cur != nil && cur.implicit && cur.remote == nil && len(e.users) == 1 {
		p.reject(kw.line, "`user` comes after user options (line %d): fetchmail 6.4 rejects that; "+
			"imported as one user", cur.line)
		u, cur.implicit = cur, false
	} else {
		e.users = append(e.users, u)
	}
	p.names(u, kw, true)
	return u
}

// names parses the names after `user`, `is` or `to`: NAME there (the remote name),
// NAMES [here] (local names, or remote=local pairs). After `user`, a single NAME alone
// is the remote name.
func (p *parser) names(u *userBlock, kw token, isUser bool) {
	var list []mapping
	for p.peek().kind == tString {
		list = append(list, p.mapping(u, kw, len(list) == 0))
	}
	if len(list) == 0 {
		p.syntaxError(p.peek(), fmt.Sprintf("`%s` needs a name", kw.raw))
		return
	}
	here, there := p.peek().is("here"), p.peek().is("there")
	if here || there {
		p.next()
	}
	if there || (isUser && !here) {
		if len(list) > 1 || list[0].pair {
			p.reject(kw.line, "`%s` takes one server-side user name (several are local names, "+
				"written `%s NAMES here`): fetchmail 6.4 rejects this; imported %q as the user",
				kw.raw, kw.raw, list[0].local)
		}
		u.remote = &opt{kw: "user", args: []string{list[0].local}, line: kw.line}
		return
	}
	for _, m := range list {
		if m.local == "*" && !m.pair {
			u.wildcard = true
			continue
		}
		u.locals = append(u.locals, m)
	}
}

// mapping reads NAME or NAME=NAME.
func (p *parser) mapping(u *userBlock, kw token, first bool) mapping {
	v := p.next()
	m := mapping{local: v.val, line: v.line}
	if first {
		p.markValue(v, kw, func() { dropName(u, v.val) })
	}
	if p.peek().kind == tMap {
		p.next()
		if r := p.peek(); r.kind == tString {
			m.remote, m.local, m.pair = v.val, p.next().val, true
		} else {
			p.syntaxError(r, "`=` needs a local name")
		}
	}
	return m
}

// dropName withdraws a name that error recovery found to be a keyword after all.
func dropName(u *userBlock, name string) {
	switch {
	case u.remote != nil && u.remote.args[0] == name:
		u.remote = nil
	case len(u.locals) > 0 && u.locals[len(u.locals)-1].local == name:
		u.locals = u.locals[:len(u.locals)-1]
	case name == "*":
		u.wildcard = false
	}
}

// reject notes an error for which fetchmail 6.4 refuses the whole file.
func (p *parser) reject(line int, format string, args ...any) {
	if p.rc.rejected == 0 {
		p.rc.rejected = line
	}
	p.d.add(line, format, args...)
}
