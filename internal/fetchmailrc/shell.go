package fetchmailrc

import (
	"regexp"
	"strings"
)

// fetchmail runs mda and preconnect commands with /bin/sh; fetchsecure never runs a
// shell. splitShell splits a command line the way sh would for simple words and
// quotes, and lists every shell feature it meets that an argv cannot express, so that
// the importer converts only commands that mean the same without a shell.

type shellCmd struct {
	words      []string
	features   []string // shell features found, described for a comment
	structural bool     // operators, redirections or line breaks: words is not the argv
	tail       string   // a trailing `&` or `;` (harmless before nothing)
	home       []int    // words that start with an unquoted ~/ (or are ~): sh gives $HOME
}

const tildeFeature = "~ (home directory) expansion"

var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

type shellSplitter struct {
	s      string
	i      int
	out    shellCmd
	word   strings.Builder
	inWord bool
	quoted bool // the current word has a quoted part
	tilde  bool // the current word starts with an unquoted ~
}

func splitShell(s string) shellCmd {
	sp := &shellSplitter{s: s}
	for sp.i < len(s) {
		sp.step()
	}
	sp.endWord()
	if len(sp.out.words) > 0 && assignment.MatchString(sp.out.words[0]) {
		sp.feature("a variable assignment")
	}
	return sp.out
}

func (sp *shellSplitter) feature(f string) {
	for _, have := range sp.out.features {
		if have == f {
			return
		}
	}
	sp.out.features = append(sp.out.features, f)
}

func (sp *shellSplitter) endWord() {
	if sp.inWord {
		w := sp.word.String()
		switch {
		case !sp.tilde:
		case w == "~" || strings.HasPrefix(w, "~/"):
			sp.feature(tildeFeature)
			sp.out.home = append(sp.out.home, len(sp.out.words))
		default:
			sp.feature("~user (another user's home) expansion")
		}
		sp.out.words = append(sp.out.words, w)
	}
	sp.word.Reset()
	sp.inWord, sp.quoted, sp.tilde = false, false, false
}

// expandHome replaces a leading ~ by home, as sh would, when that is the only shell
// feature. It reports whether it did.
func (c *shellCmd) expandHome(home string) bool {
	if home == "" || len(c.features) != 1 || c.features[0] != tildeFeature || c.tail != "" {
		return false
	}
	for _, i := range c.home {
		c.words[i] = strings.TrimSuffix(home, "/") + strings.TrimPrefix(c.words[i], "~")
	}
	c.features = nil
	return true
}

func (sp *shellSplitter) add(c byte) {
	sp.word.WriteByte(c)
	sp.inWord = true
}

func (sp *shellSplitter) step() {
	c := sp.s[sp.i]
	sp.i++
	if sp.out.tail != "" && !strings.ContainsRune(" \t", rune(c)) {
		sp.feature("`" + sp.out.tail + "` followed by another command")
		sp.out.tail = ""
	}
	switch c {
	case ' ', '\t':
		sp.endWord()
	case '\n':
		sp.endWord()
		sp.out.structural = true
		sp.feature("a line break (a second command)")
	case '\'':
		sp.singleQuoted()
	case '"':
		sp.doubleQuoted()
	case '\\':
		sp.backslash()
	case '|', '&', ';', '(', ')':
		sp.operator(c)
	case '<', '>':
		sp.redirection(c)
	default:
		sp.plain(c)
	}
}

func (sp *shellSplitter) plain(c byte) {
	switch {
	case c == '$':
		sp.feature("$ expansion")
	case c == '`':
		sp.feature("a `command` substitution")
	case c == '*' || c == '?' || c == '[':
		sp.feature("a wildcard (" + string(c) + ")")
	case c == '~' && !sp.inWord:
		sp.tilde = true
	case c == '#' && !sp.inWord:
		sp.feature("a # comment")
	}
	sp.add(c)
}

func (sp *shellSplitter) singleQuoted() {
	sp.inWord, sp.quoted = true, true
	end := strings.IndexByte(sp.s[sp.i:], '\'')
	if end < 0 {
		sp.feature("an unbalanced quote")
		end = len(sp.s) - sp.i
	}
	sp.word.WriteString(sp.s[sp.i : sp.i+end])
	sp.i += end + 1
}

func (sp *shellSplitter) doubleQuoted() {
	sp.inWord, sp.quoted = true, true
	for sp.i < len(sp.s) {
		c := sp.s[sp.i]
		sp.i++
		switch {
		case c == '"':
			return
		case c == '\\' && sp.i < len(sp.s) && strings.IndexByte("$`\"\\\n", sp.s[sp.i]) >= 0:
			if sp.s[sp.i] != '\n' {
				sp.word.WriteByte(sp.s[sp.i])
			}
			sp.i++
		case c == '$':
			sp.feature("$ expansion")
			sp.word.WriteByte(c)
		case c == '`':
			sp.feature("a `command` substitution")
			sp.word.WriteByte(c)
		default:
			sp.word.WriteByte(c)
		}
	}
	sp.feature("an unbalanced quote")
}

func (sp *shellSplitter) backslash() {
	if sp.i >= len(sp.s) {
		return
	}
	c := sp.s[sp.i]
	sp.i++
	if c != '\n' { // backslash-newline continues the line
		sp.add(c)
		sp.quoted = true
	}
}

// operator handles | & ; ( ). A lone `&` or `;` at the very end is kept as the tail:
// it only runs the command in the background, or ends it.
func (sp *shellSplitter) operator(c byte) {
	sp.endWord()
	op := string(c)
	if sp.i < len(sp.s) && (c == '|' || c == '&') && sp.s[sp.i] == c {
		op += string(c)
		sp.i++
	}
	if (op == "&" || op == ";") && strings.TrimSpace(sp.s[sp.i:]) == "" {
		sp.out.tail = op
		return
	}
	sp.out.structural = true
	names := map[string]string{"|": "a pipe |", "||": "||", "&&": "&&", "&": "a background &",
		";": "a ; between commands", "(": "( )", ")": "( )"}
	sp.feature(names[op])
}

// redirection handles [n]<, [n]>, >>, >&n, <&n and the word that follows.
func (sp *shellSplitter) redirection(c byte) {
	if sp.inWord && !sp.quoted && isNumber(sp.word.String()) {
		sp.word.Reset() // the file descriptor number
		sp.inWord = false
	}
	sp.endWord()
	op := string(c)
	for sp.i < len(sp.s) && strings.IndexByte("<>&", sp.s[sp.i]) >= 0 {
		op += string(sp.s[sp.i])
		sp.i++
	}
	sp.out.structural = true
	sp.feature("a redirection " + op)
	for sp.i < len(sp.s) && (sp.s[sp.i] == ' ' || sp.s[sp.i] == '\t') {
		sp.i++
	}
	before := len(sp.out.words)
	for sp.i < len(sp.s) && strings.IndexByte(" \t\n|&;()<>", sp.s[sp.i]) < 0 {
		sp.step()
	}
	sp.endWord()
	sp.out.words = sp.out.words[:before] // the target is not an argument
}

// simpleForTunnel reports whether the only shell features are redirections (which a
// preconnect uses to silence ssh, and a tunnel does not need) and ~ (which the tunnel's
// paths expand too).
func (c shellCmd) simpleForTunnel() bool {
	for _, f := range c.features {
		if !strings.HasPrefix(f, "a redirection") && !strings.HasPrefix(f, "~") {
			return false
		}
	}
	return true
}
