package fetchmailrc

import (
	"fmt"
	"strings"
)

// Reading the values that follow an option keyword (argKind in keywords.go).

// arg reads the value(s) an option takes. It returns false, leaving the offending token
// for the caller's loop, when they are missing.
func (p *parser) arg(o *opt, kind argKind, kw token) bool {
	v := p.peek()
	switch {
	case kind == argNone:
		return true
	case kind == argString && v.kind == tString:
		return p.stringArg(o, kw)
	case kind == argNumber:
		return p.numberArg(o, kw)
	case kind == argEnvelope:
		return p.envelopeArg(o, kw)
	case p.simpleArg(o, kind):
		return true
	case p.retry(v):
		return p.arg(o, kind, kw)
	}
	p.syntaxError(v, fmt.Sprintf("%s needs a value", kw))
	return false
}

// simpleArg reads the values that need no special care.
func (p *parser) simpleArg(o *opt, kind argKind) bool {
	v := p.peek()
	switch kind {
	case argService:
		if v.kind == tString || v.kind == tNumber {
			o.args = []string{p.next().val}
		}
	case argStrings, argNumbers:
		want := map[argKind]tokKind{argStrings: tString, argNumbers: tNumber}[kind]
		for p.peek().kind == want {
			o.args = append(o.args, p.next().val)
		}
	case argAuth:
		if v.kind == tAuth {
			o.args = []string{p.next().kw}
		}
	case argBadHeader:
		if v.is("accept") || v.is("reject") {
			o.args = []string{p.next().kw}
		}
	case argProto:
		return p.protoArg(o)
	}
	return len(o.args) > 0
}

func (p *parser) protoArg(o *opt) bool {
	v := p.peek()
	if v.kind == tProto {
		o.args = []string{p.next().kw}
		return true
	}
	if l := strings.ToLower(v.val); v.kind == tString && isProtocol(l) {
		p.reject(v.line, "fetchmail 6.4 knows the protocol %s only in lower or upper case, and "+
			"rejects the file; imported as %s", v, l)
		o.args = []string{l}
		p.next()
		return true
	}
	return false
}

func (p *parser) stringArg(o *opt, kw token) bool {
	v := p.next()
	o.args = []string{v.val}
	if o.kw == "password" || o.kw == "esmtppassword" {
		p.secretLine = v.line + strings.Count(v.raw, "\n")
		if !v.quoted && strings.HasPrefix(v.raw, "`") && p.backtick(o, v) {
			return true
		}
	}
	p.markValue(v, kw, func() { o.dead = true })
	return true
}

// numberArg reads a NUMBER. A quoted or `=`-introduced number is a string to fetchmail
// (a syntax error); it is taken with a warning.
func (p *parser) numberArg(o *opt, kw token) bool {
	v := p.peek()
	switch {
	case v.kind == tNumber:
	case v.kind == tString && isNumber(v.val):
		p.reject(v.line, "%s %s: fetchmail 6.4 reads this as a string, not a number (it is quoted, "+
			"or follows `=`), and rejects the file; imported as %s", kw, v, v.val)
	case p.retry(v):
		return p.numberArg(o, kw)
	default:
		p.syntaxError(v, fmt.Sprintf("%s needs a number", kw))
		return false
	}
	o.args = []string{p.next().val}
	return true
}

func (p *parser) envelopeArg(o *opt, kw token) bool {
	skip := ""
	if p.peek().kind == tNumber {
		skip = p.next().val
	}
	v := p.peek()
	if v.kind != tString {
		if p.retry(v) {
			return p.envelopeArg(o, kw)
		}
		p.syntaxError(v, fmt.Sprintf("%s needs a header name", kw))
		return false
	}
	if skip != "" {
		o.args = []string{skip}
	}
	o.args = append(o.args, p.next().val)
	return true
}
