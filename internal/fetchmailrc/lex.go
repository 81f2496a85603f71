package fetchmailrc

import (
	"fmt"
	"strings"
)

// The lexer reproduces fetchmail 6.4's flex scanner (rcfile_l.l). Flex takes the longest
// match and, on a tie, the rule listed first; with fetchmail's rules that means:
//   - a bare word is a run of bytes other than = ; : , space, tab, CR and LF;
//   - a keyword, number or "no…" compound wins only if it is the whole bare word, so
//     `keep#x` is the word "keep#x", not `keep` and a comment;
//   - a quoted string "…" or '…' (no escaped quotes: it ends at the next quote) wins only
//     if it is at least as long as the bare word starting at the same quote, so
//     `"a@b""` is the bare word `"a@b""`;
//   - `#` starts a comment only where a token starts, and only if a newline follows
//     (a comment on a last line without newline is a word, which fetchmail rejects);
//   - after user, pass(word), is, to and =, the next bare word is a string whatever it
//     spells (state NAME); after auth(enticate), "password" is an authentication type.

type tokKind int

const (
	tEOF     tokKind = iota
	tKeyword         // kw: canonical keyword, including "no"
	tString          // val: the value after escapes
	tNumber          // val: the digits
	tMap             // "="
	tProto           // kw: protocol, lower case
	tAuth            // kw: canonical authentication type
)

type token struct {
	kind     tokKind
	kw       string
	val      string
	raw      string // the source text of the token
	off      int    // byte offset of the token in the source
	line     int    // line the token starts on
	quoted   bool
	nameWord bool // a bare word read in the NAME state (a keyword spelling stays a string)
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of file"
	}
	return "`" + t.raw + "`"
}

type lexState int

const (
	stInitial lexState = iota
	stName
	stAuth
)

type lexer struct {
	src   string
	pos   int
	line  int
	state lexState
	cutAt int       // error recovery: a '#' at this offset ends the word and starts a comment
	err   *lexError // an unterminated string; lexing stops there
	nl    int       // offset of the next newline at or after pos, or len(src); -1: unknown
}

// lexError is input the importer cannot read at all.
type lexError struct {
	line int
	msg  string
}

func newLexer(src string) *lexer {
	return &lexer{src: src, line: 1, cutAt: -1, nl: -1}
}

// reset restarts lexing at a token boundary, for error recovery.
func (lx *lexer) reset(off, line int, st lexState) {
	lx.pos, lx.line, lx.state, lx.nl = off, line, st, -1
}

// newlineFollows reports whether a newline comes at or after pos (so that a comment
// can end). The answer is cached: pos only grows, so lexing stays linear.
func (lx *lexer) newlineFollows() bool {
	if lx.nl < lx.pos {
		lx.nl = len(lx.src)
		if i := strings.IndexByte(lx.src[lx.pos:], '\n'); i >= 0 {
			lx.nl = lx.pos + i
		}
	}
	return lx.nl < len(lx.src)
}

// next returns the next token, or a tEOF token at the end or after an error.
func (lx *lexer) next() token {
	for lx.pos < len(lx.src) && lx.err == nil {
		if lx.pos == lx.cutAt {
			lx.skipLine()
			continue
		}
		c := lx.src[lx.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			lx.pos++
		case c == '\n':
			lx.pos++
			lx.line++
		case c == '#' && lx.newlineFollows():
			lx.skipLine()
		case c == '\\' && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '\n':
			lx.pos += 2 // a backslash-newline outside quotes is a newline
			lx.line++
		case c == ';' || c == ':' || c == ',':
			lx.pos++ // punctuation is noise
		case c == '=':
			lx.pos++
			lx.state = stName
			return token{kind: tMap, raw: "=", off: lx.pos - 1, line: lx.line}
		default:
			if t, ok := lx.word(); ok {
				return t
			}
		}
	}
	return token{kind: tEOF, off: lx.pos, line: lx.line}
}

// skipLine skips a comment up to and including its newline.
func (lx *lexer) skipLine() {
	end := strings.IndexByte(lx.src[lx.pos:], '\n')
	if end < 0 {
		lx.pos = len(lx.src)
		return
	}
	lx.pos += end + 1
	lx.line++
}

// bareLen is the length of the bare word at off.
func (lx *lexer) bareLen(off int) int {
	n := 0
	for off+n < len(lx.src) && off+n != lx.cutAt && !strings.ContainsRune("=;:, \t\r\n", rune(lx.src[off+n])) {
		n++
	}
	return n
}

// word lexes a quoted string or a bare word. It returns false for a noise word.
func (lx *lexer) word() (token, bool) {
	start, line := lx.pos, lx.line
	n := lx.bareLen(start)
	if q := lx.src[start]; q == '"' || q == '\'' {
		end := strings.IndexByte(lx.src[start+1:], q)
		if end < 0 {
			// fetchmail would read the quote as part of a bare word: surely not what was
			// meant, and the value may be a secret, so the importer stops here.
			lx.err = &lexError{line, fmt.Sprintf("unterminated string: the %c opened here is never closed", q)}
			return token{}, false
		}
		if end+2 >= n {
			raw := lx.src[start : start+end+2]
			lx.pos += len(raw)
			lx.line += strings.Count(raw, "\n")
			lx.state = stInitial
			return token{kind: tString, val: unescape(raw[1 : len(raw)-1]), raw: raw, off: start,
				line: line, quoted: true}, true
		}
	}
	raw := lx.src[start : start+n]
	lx.pos += n
	t := token{raw: raw, off: start, line: line}
	return lx.classify(t)
}

// classify turns a bare word into a token, following the lexer state.
func (lx *lexer) classify(t token) (token, bool) {
	w := t.raw
	switch {
	case lx.state == stName:
		lx.state = stInitial
		t.kind, t.val, t.nameWord = tString, unescape(w), true
	case noCompounds[w]:
		lx.pos = t.off + 2 // yyless(2): "nokeep" is "no" then "keep"
		t.kind, t.kw, t.raw = tKeyword, "no", "no"
	case noiseWords[w]:
		return token{}, false
	case lx.state == stAuth && w == "password":
		lx.state = stInitial
		t.kind, t.kw = tAuth, "password"
	case authTypes[w] != "":
		lx.state = stInitial
		t.kind, t.kw = tAuth, authTypes[w]
	case isProtocol(w):
		t.kind, t.kw = tProto, strings.ToLower(w)
	case keywords[w] != "" && !(lx.state == stAuth && (w == "pass" || w == "password")):
		t.kind, t.kw = tKeyword, keywords[w]
		lx.enter(t.kw)
	case isNumber(w):
		t.kind, t.val = tNumber, w
	default:
		t.kind, t.val = tString, unescape(w)
	}
	return t, true
}

// enter applies the state change a keyword causes (SETSTATE in rcfile_l.l).
func (lx *lexer) enter(kw string) {
	switch kw {
	case "user", "password", "is", "to":
		lx.state = stName
	case "auth":
		lx.state = stAuth
	}
}

func isProtocol(w string) bool {
	for _, p := range protocols {
		if w == p || w == strings.ToUpper(p) {
			return true
		}
	}
	return false
}

// isNumber matches -?[0-9]+.
func isNumber(w string) bool {
	w = strings.TrimPrefix(w, "-")
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}
