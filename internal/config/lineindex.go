package config

import (
	"strconv"
	"strings"
)

// lineIndex maps a key path to the line that first defines it. BurntSushi/toml keeps key
// positions private, so the file is scanned again here; the scan only needs to be right
// for files that already parsed, and must merely terminate on anything else.
type lineIndex map[string]int

func pathID(path []string) string { return strings.Join(path, "\x00") }

// line returns the line of path or, failing that, of its longest defined prefix (the
// table a missing key belongs in); 0 if no part of the path is in the file.
func (ix lineIndex) line(path []string) int {
	for n := len(path); n > 0; n-- {
		if l, ok := ix[pathID(path[:n])]; ok {
			return l
		}
	}
	return 0
}

func (ix lineIndex) add(path []string, line int) {
	id := pathID(path)
	if _, ok := ix[id]; !ok {
		ix[id] = line
	}
}

// indexLines scans a TOML document: table headers, dotted keys, keys inside inline
// tables; values (multi-line strings and arrays included) are skipped.
func indexLines(src string) lineIndex {
	s := &scanner{src: src, line: 1, ix: lineIndex{}}
	var table []string
	for {
		s.skipSpace(true)
		if s.eof() {
			return s.ix
		}
		start := s.i
		if s.peek() == '[' {
			table = s.header()
		} else {
			s.keyValue(table)
		}
		s.skipLine()
		if s.i == start {
			s.advance()
		}
	}
}

type scanner struct {
	src  string
	i    int
	line int
	ix   lineIndex
}

func (s *scanner) eof() bool { return s.i >= len(s.src) }

func (s *scanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.i]
}

func (s *scanner) advance() {
	if s.eof() {
		return
	}
	if s.src[s.i] == '\n' {
		s.line++
	}
	s.i++
}

func (s *scanner) has(prefix string) bool { return strings.HasPrefix(s.src[s.i:], prefix) }

// skipSpace skips blanks and comments, and newlines too if multiline is set.
func (s *scanner) skipSpace(multiline bool) {
	for !s.eof() {
		switch c := s.peek(); {
		case c == ' ' || c == '\t' || c == '\r':
			s.advance()
		case c == '\n' && multiline:
			s.advance()
		case c == '#':
			for !s.eof() && s.peek() != '\n' {
				s.advance()
			}
		default:
			return
		}
	}
}

// skipLine skips to the start of the next line.
func (s *scanner) skipLine() {
	for !s.eof() && s.peek() != '\n' {
		s.advance()
	}
	s.advance()
}

// header reads "[a.b]" or "[[a.b]]" and returns the table's path.
func (s *scanner) header() []string {
	line := s.line
	s.advance()
	if s.peek() == '[' {
		s.advance()
	}
	path := s.key()
	s.define(nil, path, line)
	return path
}

// keyValue reads "key = value" and indexes the key (and any keys inside an inline-table
// value) under table.
func (s *scanner) keyValue(table []string) {
	line := s.line
	k := s.key()
	if k == nil || s.peek() != '=' {
		return
	}
	s.advance()
	s.define(table, k, line)
	s.value(append(append([]string{}, table...), k...))
}

// define indexes table+k and every prefix a dotted key creates implicitly.
func (s *scanner) define(table, k []string, line int) {
	for n := 1; n <= len(k); n++ {
		s.ix.add(append(append([]string{}, table...), k[:n]...), line)
	}
}

// key reads a possibly dotted key; nil if there is none.
func (s *scanner) key() []string {
	var parts []string
	for {
		s.skipSpace(false)
		part, ok := s.keyPart()
		if !ok {
			return nil
		}
		parts = append(parts, part)
		s.skipSpace(false)
		if s.peek() != '.' {
			return parts
		}
		s.advance()
	}
}

func (s *scanner) keyPart() (string, bool) {
	switch c := s.peek(); {
	case c == '"':
		return unescape(strings.TrimSuffix(s.quoted('"')[1:], `"`)), true
	case c == '\'':
		return strings.Trim(s.quoted('\''), "'"), true
	case isBareKeyChar(c):
		start := s.i
		for !s.eof() && isBareKeyChar(s.peek()) {
			s.advance()
		}
		return s.src[start:s.i], true
	}
	return "", false
}

// quoted reads a single-line string delimited by q and returns it with its quotes.
// Backslash escapes count only in basic strings.
func (s *scanner) quoted(q byte) string {
	start := s.i
	s.advance()
	for !s.eof() && s.peek() != '\n' {
		c := s.peek()
		s.advance()
		if c == q {
			break
		}
		if c == '\\' && q == '"' {
			s.advance()
		}
	}
	return s.src[start:s.i]
}

// value skips one value. path is the key it belongs to, for keys in inline tables.
func (s *scanner) value(path []string) {
	s.skipSpace(false)
	switch {
	case s.has(`"""`):
		s.multiline(`"""`)
	case s.has(`'''`):
		s.multiline(`'''`)
	case s.peek() == '"' || s.peek() == '\'':
		s.quoted(s.peek())
	case s.peek() == '[':
		s.array()
	case s.peek() == '{':
		s.inlineTable(path)
	default:
		for !s.eof() && !strings.ContainsRune(",]}\n#", rune(s.peek())) {
			s.advance()
		}
	}
}

func (s *scanner) multiline(delim string) {
	for i := 0; i < 3; i++ {
		s.advance()
	}
	for !s.eof() && !s.has(delim) {
		if s.peek() == '\\' && delim[0] == '"' {
			s.advance()
		}
		s.advance()
	}
	for !s.eof() && s.peek() == delim[0] { // up to two quotes may end the content
		s.advance()
	}
}

func (s *scanner) array() {
	s.advance()
	for {
		s.skipSpace(true)
		if s.eof() || s.peek() == ']' {
			s.advance()
			return
		}
		start := s.i
		s.value(nil)
		s.skipSpace(true)
		if s.peek() == ',' || s.i == start {
			s.advance()
		}
	}
}

// inlineTable skips "{ k = v, ... }", indexing each key under path (path is nil inside
// arrays, where keys would need an index).
func (s *scanner) inlineTable(path []string) {
	s.advance()
	for {
		s.skipSpace(true)
		if s.eof() || s.peek() == '}' {
			s.advance()
			return
		}
		start, line := s.i, s.line
		if k := s.key(); k != nil && s.peek() == '=' {
			s.advance()
			if path != nil {
				s.define(path, k, line)
				s.value(append(append([]string{}, path...), k...))
			} else {
				s.value(nil)
			}
		}
		s.skipSpace(true)
		if s.peek() == ',' || s.i == start {
			s.advance()
		}
	}
}

// tomlEscapes maps the character after a backslash in a TOML basic string to what it
// stands for (\x, \u and \U are handled apart).
var tomlEscapes = map[byte]string{'b': "\b", 't': "\t", 'n': "\n", 'f': "\f", 'r': "\r",
	'e': "\x1b", '"': "\"", '\\': "\\"}

// hexDigits is the number of hex digits after \x, \u and \U.
var hexDigits = map[byte]int{'x': 2, 'u': 4, 'U': 8}

// unescape decodes the escapes of a TOML basic string (TOML 1.1, as BurntSushi/toml
// v1.6 reads it), so that quoted keys match the decoded ones.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		if e, ok := tomlEscapes[s[i]]; ok {
			b.WriteString(e)
			continue
		}
		n := hexDigits[s[i]]
		if r, err := strconv.ParseUint(s[i+1:min(i+1+n, len(s))], 16, 32); n > 0 && err == nil {
			b.WriteRune(rune(r))
			i += n
		}
	}
	return b.String()
}
