package fetchmailrc

import "strings"

// unescape processes backslash escapes the way fetchmail's escapes() does, in quoted
// strings and bare words alike: \n \t \b \r \\, \xhh (up to two hex digits), \0ooo
// (octal, up to three digits counting the 0), \nnn (DECIMAL, up to three digits, so
// \233 is 0xE9), backslash-newline is removed, and any other \c is c. Values are C
// strings in fetchmail, so a NUL byte (from \0 or \x00) ends the value.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\\' || i+1 >= len(s) {
			if s[i] != '\\' {
				b.WriteByte(s[i])
			}
			i++ // a backslash at the very end is dropped
			continue
		}
		c, n := escapeAt(s[i+1:])
		i += 1 + n
		if c < 0 {
			continue // backslash-newline
		}
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}

// escapeAt decodes the escape whose text (after the backslash) starts s. It returns the
// byte value (-1 for none) and how many bytes of s it used.
func escapeAt(s string) (int, int) {
	switch c := s[0]; {
	case c == 'x' || c == 'X':
		v, n := digits(s[1:], 16, 2)
		return v & 0xff, 1 + n
	case c == '0':
		v, n := digits(s, 8, 3)
		return v & 0xff, n
	case c >= '1' && c <= '9':
		v, n := digits(s, 10, 3)
		return v & 0xff, n
	case c == '\n':
		return -1, 1
	case c == 'n':
		return '\n', 1
	case c == 't':
		return '\t', 1
	case c == 'b':
		return '\b', 1
	case c == 'r':
		return '\r', 1
	default:
		return int(c), 1
	}
}

// digits reads up to limit digits of the given base from the start of s.
func digits(s string, base, limit int) (val, n int) {
	for n < len(s) && n < limit {
		d := digitValue(s[n])
		if d < 0 || d >= base {
			break
		}
		val = val*base + d
		n++
	}
	return val, n
}

func digitValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
