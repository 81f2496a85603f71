package fakeimap

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf16"
)

// tokenize splits a command line into atoms (brackets and their contents included,
// as in BODY.PEEK[HEADER.FIELDS (A B)]), quoted strings (unquoted), literals (their
// contents) and parenthesized lists (raw, parentheses included).
func tokenize(line string) []string {
	var toks []string
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ':
			i++
		case c == '"':
			tok, n := quoted(line[i:])
			toks, i = append(toks, tok), i+n
		case c == '{':
			tok, n := literal(line[i:])
			toks, i = append(toks, tok), i+n
		case c == '(':
			n := balanced(line[i:], '(', ')')
			toks, i = append(toks, line[i:i+n]), i+n
		default:
			n := atom(line[i:])
			toks, i = append(toks, line[i:i+n]), i+n
		}
	}
	return toks
}

// quoted reads a quoted string (RFC 9051 §4.3: \" and \\ escapes) and returns its
// value and the bytes consumed.
func quoted(s string) (string, int) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), i + 1
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), len(s)
}

// literal reads "{n}\r\n" or "{n+}\r\n" and n bytes.
func literal(s string) (string, int) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return s, len(s)
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s[1:end], "+"))
	start := end + 1
	if strings.HasPrefix(s[start:], "\r\n") {
		start += 2
	} else if strings.HasPrefix(s[start:], "\n") {
		start++
	}
	if err != nil || n < 0 || start+n > len(s) {
		return s[:end+1], end + 1
	}
	return s[start : start+n], start + n
}

// balanced returns the length of the text from an open to its matching close.
func balanced(s string, open, close byte) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case open:
			depth++
		case close:
			if depth--; depth == 0 {
				return i + 1
			}
		case '"':
			_, n := quoted(s[i:])
			i += n - 1
		}
	}
	return len(s)
}

// atom returns the length of an atom; brackets may hold spaces.
func atom(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '(', ')':
			return i
		case '[':
			i += balanced(s[i:], '[', ']') - 1
		}
	}
	return len(s)
}

// set is a parsed sequence set or UID set (RFC 9051 §9 sequence-set).
type set []struct{ lo, hi uint32 } // hi == 0 with star means "*"

// parseSet parses "1:3,7,10:*"; star stands for the largest number in use.
func parseSet(s string, star uint32) (set, bool) {
	var out set
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, ":")
		lo, ok1 := num(a, star)
		hi, ok2 := lo, true
		if isRange {
			hi, ok2 = num(b, star)
		}
		if !ok1 || !ok2 {
			return nil, false
		}
		out = append(out, struct{ lo, hi uint32 }{min(lo, hi), max(lo, hi)})
	}
	return out, true
}

func num(s string, star uint32) (uint32, bool) {
	if s == "*" {
		return star, true
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil && n > 0
}

func (st set) has(n uint32) bool {
	for _, r := range st {
		if n >= r.lo && n <= r.hi {
			return true
		}
	}
	return false
}

// mutf7 is the modified base64 of RFC 3501 §5.1.3.
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").
	WithPadding(base64.NoPadding)

// DecodeMailbox decodes a mailbox name from modified UTF-7 (RFC 3501 §5.1.3); ok is
// false if it is not valid, and the name is then returned as it is.
func DecodeMailbox(name string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] != '&' {
			b.WriteByte(name[i])
			continue
		}
		end := strings.IndexByte(name[i:], '-')
		if end < 0 {
			return name, false
		}
		enc := name[i+1 : i+end]
		i += end
		if enc == "" {
			b.WriteByte('&')
			continue
		}
		raw, err := mutf7.DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return name, false
		}
		units := make([]uint16, len(raw)/2)
		for j := range units {
			units[j] = uint16(raw[2*j])<<8 | uint16(raw[2*j+1])
		}
		b.WriteString(string(utf16.Decode(units)))
	}
	return b.String(), true
}

// Items is what a FETCH command asked for.
type Items struct {
	Set   string // the sequence or UID set as sent
	UID   bool   // a UID FETCH, or UID asked for
	Size  bool   // RFC822.SIZE
	Flags bool   // FLAGS
	Body  bool   // BODY[] or BODY.PEEK[]
}

// parseItems reads a FETCH's item list: "(UID RFC822.SIZE)", "BODY.PEEK[]", ...
func parseItems(setArg, list string, uidCmd bool) Items {
	it := Items{Set: setArg, UID: uidCmd}
	for f := range strings.FieldsSeq(strings.ToUpper(strings.Trim(list, "()"))) {
		switch f {
		case "UID":
			it.UID = true
		case "RFC822.SIZE":
			it.Size = true
		case "FLAGS":
			it.Flags = true
		case "BODY[]", "BODY.PEEK[]", "RFC822":
			it.Body = true
		}
	}
	return it
}
