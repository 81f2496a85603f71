package fetchmailrc

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A small TOML writer: the output must be deterministic, commented, and valid TOML
// whatever bytes the fetchmailrc held (TOML v1.0.0: basic strings, bare keys, comments
// without control characters, UTF-8 only).

const commentWidth = 96

// tomlTable is one [table] of the output, or the top level when header is "".
type tomlTable struct {
	header   string
	lines    []string
	disabled bool // every line is written commented out
}

// set writes key = value, with an optional trailing comment.
func (t *tomlTable) set(key string, v any, comment string) {
	t.lines = append(t.lines, withComment(key+" = "+tomlValue(v), comment))
}

// setOff writes a commented-out key = value, for the user to fix and enable.
func (t *tomlTable) setOff(key string, v any, comment string) {
	t.lines = append(t.lines, withComment("# "+key+" = "+tomlValue(v), comment))
}

// comment writes a comment, wrapped to commentWidth.
// Notes ("fetchmail: …") indent their continuation lines, so that they read as blocks.
func (t *tomlTable) comment(text string) {
	rest := "# "
	if strings.HasPrefix(text, "fetchmail:") {
		rest = "#   "
	}
	t.lines = append(t.lines, wrapComment(text, "# ", rest)...)
}

func withComment(line, comment string) string {
	if comment == "" {
		return line
	}
	return line + " # " + commentText(comment)
}

func (t *tomlTable) write(b *strings.Builder) {
	prefix := ""
	if t.disabled {
		prefix = "# "
	}
	if t.header != "" {
		fmt.Fprintf(b, "\n%s[%s]\n", prefix, t.header)
	}
	for _, l := range t.lines {
		b.WriteString(prefix + l + "\n")
	}
}

// tomlValue renders a string, an int, a bool or a list of strings.
func tomlValue(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	case []string:
		q := make([]string, len(v))
		for i, s := range v {
			q[i] = quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	panic(fmt.Sprintf("fetchmailrc: no TOML form for %T", v))
}

// quote writes s as a TOML basic string. Bytes that are not UTF-8 cannot be written in
// TOML at all; they become U+FFFD (callers warn about such values).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// commentText makes text safe inside a comment: one line, no control characters,
// valid UTF-8.
func commentText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// wrapComment breaks text into comment lines of at most commentWidth characters.
func wrapComment(text, first, rest string) []string {
	var out []string
	line := first
	for _, w := range strings.Fields(commentText(text)) {
		if utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > commentWidth &&
			line != first && line != rest {
			out = append(out, line)
			line = rest
		}
		if line != first && line != rest {
			line += " "
		}
		line += w
	}
	return append(out, strings.TrimRight(line, " "))
}

// tomlDoc is the whole output.
type tomlDoc struct {
	head   tomlTable // the header comment
	top    tomlTable // top-level keys
	tables []*tomlTable
}

func (d *tomlDoc) table(header string) *tomlTable {
	t := &tomlTable{header: header}
	d.tables = append(d.tables, t)
	return t
}

func (d *tomlDoc) bytes() []byte {
	var b strings.Builder
	d.head.write(&b)
	if len(d.top.lines) > 0 {
		b.WriteString("\n")
	}
	d.top.write(&b)
	for _, t := range d.tables {
		t.write(&b)
	}
	return []byte(b.String())
}
