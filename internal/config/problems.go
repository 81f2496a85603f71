package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a configuration file, located so that the user can jump
// to it in an editor.
type Problem struct {
	File string // the config file as given to Load (or a password_file's config file)
	Line int    // 1-based line; 0 if the problem concerns the whole file
	Col  int    // 1-based column, only for syntax errors; else 0
	Key  string // dotted TOML key path, e.g. `account."Work mail".tls`; "" for syntax errors
	Msg  string // what is wrong
	Hint string // what to write instead; "" if nothing better to say
}

// String renders the problem as "file:line: key: msg; hint", leaving out the parts that
// are not set.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	if p.Hint != "" {
		b.WriteString("; " + p.Hint)
	}
	return b.String()
}

// Problems is every problem found in a configuration, sorted by line. Load returns it
// wrapped in a *fail.Error of kind fail.Config (or fail.Insecure for files that let
// others read a password); get at it with errors.As.
type Problems struct {
	List []Problem
}

// Error prints one problem per line.
func (ps *Problems) Error() string {
	lines := make([]string, len(ps.List))
	for i, p := range ps.List {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// collector gathers problems while a configuration is decoded, so that all of them can
// be reported at once.
type collector struct {
	file string
	ix   lineIndex
	list []Problem
}

// at records a problem about the key at path, located at the line that defines it or,
// for a missing key, at the line of its table.
func (c *collector) at(path []string, hint, format string, args ...any) {
	c.list = append(c.list, Problem{
		File: c.file, Line: c.ix.line(path), Key: keyString(path),
		Msg: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// problems returns the collected problems sorted by line (file-wide ones first), or
// nil if there are none.
func (c *collector) problems() *Problems {
	if len(c.list) == 0 {
		return nil
	}
	slices.SortStableFunc(c.list, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return &Problems{List: c.list}
}

// keyString renders a key path the way it would be written in TOML: bare parts as they
// are, others quoted (account."Work mail".tls).
func keyString(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = quoteKey(p)
	}
	return strings.Join(parts, ".")
}

func quoteKey(k string) string {
	if k == "" {
		return `""`
	}
	if len(k) > 80 {
		k = strings.ToValidUTF8(k[:80], "") + "…"
	}
	for _, r := range k {
		if !isBareKeyChar(byte(r)) || r > 0x7f {
			return tomlQuote(k)
		}
	}
	return k
}

func isBareKeyChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-'
}

// tomlQuote returns s as a TOML basic string. strconv.Quote is not used because TOML has
// no \x escapes.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
