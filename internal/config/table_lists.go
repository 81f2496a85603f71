package config

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// maxCount bounds counts (ports aside), so that they fit an int anywhere.
const maxCount = math.MaxInt32

// strings returns the list of strings at k; with single, one string is accepted too.
// Elements must not be empty.
func (t *table) strings(k string, single bool, hint string) []string {
	v, ok := t.m[k]
	if !ok {
		return nil
	}
	if s, isStr := v.(string); isStr && single {
		v = []any{s}
	}
	list, ok := v.([]any)
	if !ok {
		t.wrongType(k, v, "a list of strings", hint)
		return nil
	}
	if len(list) == 0 {
		t.problem(k, hint, "is an empty list")
		return nil
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, isStr := e.(string)
		switch {
		case !isStr:
			t.problem(k, hint, "element %d is %s, want a string", i+1, describe(e, k))
		case s == "":
			t.problem(k, hint, "element %d is empty", i+1)
		default:
			out = append(out, s)
		}
	}
	if len(out) < len(list) {
		return nil
	}
	return out
}

// argvExamples shows, for each command key, what a command looks like.
var argvExamples = map[string]string{
	"password_command":   `["pass", "show", "mail"]`,
	"token_command":      `["oauth2-token", "me@example.org"]`,
	"tunnel_command":     `["ssh", "mail.example.org", "/usr/lib/dovecot/imap"]`,
	"mda":                `["/usr/bin/procmail", "-d", "%T"]`,
	"notify_command":     `["notify-send", "New mail"]`,
	"passphrase_command": `["pass", "show", "ssh/id_ed25519"]`,
}

// argv returns the command at k: a list of strings run without a shell.
func (t *table) argv(k string) []string {
	example := argvExamples[k]
	if s, ok := t.m[k].(string); ok && len(strings.Fields(s)) > 0 {
		example = "[" + strings.Join(quoteAll(strings.Fields(s)), ", ") + "]"
	}
	argv := t.strings(k, false, "write "+k+" = "+example+
		": no shell runs the command, so each argument is its own string")
	if len(argv) > 0 && strings.HasPrefix(argv[0], "~") {
		t.problem(k, "write the program's full path or its name in $PATH",
			"%q: no shell runs the command, so ~ is not expanded", argv[0])
		return nil
	}
	return argv
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = tomlQuote(s)
	}
	return out
}

// enum describes the values a string key may take.
type enum struct {
	what    string            // "a TLS mode"
	names   []string          // the values, in the order of the constants
	hint    string            // what to write; default lists the names
	special map[string]string // hints for particular wrong values
}

// enum returns the index in e.names of the value at k, or def if k is not set or not
// valid.
func (t *table) enum(k string, e enum, def int) int {
	if i, ok := t.choice(k, e); ok {
		return i
	}
	return def
}

// choice returns the index in e.names of the value at k, and whether there is one.
func (t *table) choice(k string, e enum) (int, bool) {
	hint := e.hint
	if hint == "" {
		hint = "write " + orList(e.names)
	}
	s, ok := t.str(k, hint)
	if !ok {
		return 0, false
	}
	for i, n := range e.names {
		if s == n {
			return i, true
		}
	}
	if h, ok := e.special[strings.ToLower(s)]; ok {
		hint = h
	}
	t.problem(k, hint, "%s is not %s", tomlQuote(s), e.what)
	return 0, false
}

// orList renders ["a", "b", "c"] as `"a", "b" or "c"`.
func orList(names []string) string {
	q := quoteAll(names)
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// describe names the type of a decoded TOML value and, for scalars, shows it (except
// for the password, whose value must never appear in an error).
func describe(v any, k string) string {
	show := func(kind string, val any) string {
		if k == "password" {
			return kind
		}
		return fmt.Sprintf("%s (%v)", kind, val)
	}
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = strings.ToValidUTF8(x[:40], "") + "…"
		}
		return show("a string", tomlQuote(x))
	case int64:
		return show("an integer", x)
	case float64:
		return show("a float", x)
	case bool:
		return show("a boolean", x)
	case time.Time:
		return "a date-time"
	case []any:
		return "a list"
	case []map[string]any:
		return "an array of tables"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}
