package fetchmailrc

import (
	"fmt"
	"strings"
)

// Error recovery. fetchmail stops at the first syntax error and runs nothing; the
// importer warns (fetchmail 6.4 rejects the file) and goes on with the most likely
// reading, so the user gets a whole configuration to review instead of nothing:
//   - `keep# comment`: the word ends at the '#', the rest of the line is a comment;
//   - `password` with its value missing, so that fetchmail took the keyword on the next
//     line as the value: the keyword is read again as a keyword;
//   - password `cat ~/.pw`: a backtick command (see backtick);
//   - anything else: the word is skipped.

type syntaxErr struct {
	line    int
	at      token
	why     string
	skipped []string
	secret  bool // the error follows a password on its line: show no words
}

// pendingValue is a value read in the NAME state, which may turn out to be a keyword.
type pendingValue struct {
	tok  token
	kw   token
	undo func()
}

func (p *parser) markValue(v, kw token, undo func()) {
	if v.nameWord {
		p.undo = &pendingValue{tok: v, kw: kw, undo: undo}
	}
}

// retry tries the recoveries that re-read the input; the caller then parses again.
func (p *parser) retry(t token) bool {
	return p.recoverMissingValue(t) || p.recoverGluedComment(t)
}

// recover handles a token that cannot start anything where it stands.
func (p *parser) recover(t token, why string) {
	if p.retry(t) {
		return
	}
	p.syntaxError(t, why)
	if t.kind != tEOF {
		p.skip()
	}
}

// skip drops the next token, as part of the pending syntax error.
func (p *parser) skip() {
	t := p.next()
	switch {
	case p.pending == nil || p.pending.secret:
	case len(p.pending.skipped) < 8:
		p.pending.skipped = append(p.pending.skipped, t.String())
	case len(p.pending.skipped) == 8:
		p.pending.skipped = append(p.pending.skipped, "…")
	}
}

// recoverMissingValue: `password` at the end of a line with its value missing makes
// fetchmail take the next word, a keyword such as `mda`, as the password, and then fail
// at the word after it. Read that word again as the keyword it spells.
func (p *parser) recoverMissingValue(t token) bool {
	u := p.undo
	if u == nil || p.last.off != u.tok.off || u.tok.line == u.kw.line || !spellsKeyword(u.tok.raw) {
		return false
	}
	p.undo = nil
	u.undo()
	p.reject(u.kw.line, "%s has no value, so fetchmail 6.4 takes `%s` (line %d) as its value and then "+
		"rejects the file at %s (line %d); imported without a value and with `%s` read as an option",
		u.kw, u.tok.raw, u.tok.line, t, t.line, u.tok.raw)
	p.relex(u.tok, stInitial)
	return true
}

func spellsKeyword(w string) bool {
	_, auth := authTypes[w]
	return keywords[w] != "" || auth || isProtocol(w)
}

// recoverGluedComment: `keep# comment` is the single word "keep#" to fetchmail, which
// rejects it. So is a comment on a last line that has no newline. Cut the word at '#'.
func (p *parser) recoverGluedComment(t token) bool {
	hash := strings.IndexByte(t.raw, '#')
	if t.kind != tString || t.quoted || hash < 0 {
		return false
	}
	if hash == 0 {
		p.reject(t.line, "a comment on the last line needs a newline after it: fetchmail 6.4 reads "+
			"it as words and rejects the file; imported as a comment")
	} else {
		p.reject(t.line, "fetchmail 6.4 rejects `%s`: a # starts a comment only at the start of a "+
			"word; imported as `%s` followed by a comment (put a space before the #)",
			t.raw, t.raw[:hash])
	}
	p.lx.cutAt = t.off + hash
	p.relex(t, stInitial)
	return true
}

// relex restarts the lexer at token t in state st.
func (p *parser) relex(t token, st lexState) {
	p.lx.reset(t.off, t.line, st)
	p.ahead = p.ahead[:0]
}

// syntaxError records a syntax error; errors on one line make one warning.
func (p *parser) syntaxError(t token, why string) {
	if p.pending != nil && p.pending.line == t.line && t.kind != tEOF {
		return // one warning per line
	}
	p.flushSyntaxErr()
	if p.rc.rejected == 0 {
		p.rc.rejected = t.line
	}
	p.pending = &syntaxErr{line: t.line, at: t, why: why, secret: t.line == p.secretLine}
}

func (p *parser) flushSyntaxErr() {
	e := p.pending
	if e == nil {
		return
	}
	p.pending = nil
	at := e.at.String()
	if e.secret {
		at = "a word on the password's line" // it may be part of the password
	}
	msg := fmt.Sprintf("fetchmail 6.4 rejects this file: syntax error at %s (%s)", at, e.why)
	if len(e.skipped) > 0 {
		msg += "; ignored " + strings.Join(e.skipped, " ")
	}
	p.d.add(e.line, "%s", msg)
}

// backtick reads a password written as `command args`, which the shell would run but
// fetchmail does not: a one-word `cmd` is a literal password to fetchmail, several
// words are a syntax error. The command is kept for the mapping (password_command or
// password_file) if it closes on the same line. It reports whether it took a command.
func (p *parser) backtick(o *opt, v token) bool {
	if strings.HasSuffix(v.raw, "`") {
		return false // one word: fetchmail sends it as it is, backticks included
	}
	end := -1
	for i := 0; end < 0; i++ {
		t := p.peekAt(i)
		if t.kind == tEOF || t.line != v.line {
			return false
		}
		if strings.HasSuffix(t.raw, "`") {
			end = i + 1
		}
	}
	last := v
	for ; end > 0; end-- {
		last = p.next()
	}
	o.cmd = p.lx.src[v.off+1 : last.off+len(last.raw)-1]
	o.args = nil
	p.reject(v.line, "fetchmail 6.4 does not run `backtick` commands and rejects this file "+
		"(syntax error at the word after the first)")
	return true
}
