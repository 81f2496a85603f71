package config

import (
	"fmt"
	"strings"
	"time"
)

// table reads typed values out of one decoded TOML table, reporting every missing,
// mistyped or invalid value to the collector instead of stopping at the first.
type table struct {
	c    *collector
	path []string
	m    map[string]any
	dir  string // the config file's directory, for relative paths
}

func (t *table) key(k string) []string { return append(append([]string{}, t.path...), k) }

func (t *table) has(k string) bool { _, ok := t.m[k]; return ok }

// problem records a problem about key k of this table.
func (t *table) problem(k, hint, format string, args ...any) {
	t.c.at(t.key(k), hint, format, args...)
}

// wrongType reports that k holds v where a value described by want was expected.
func (t *table) wrongType(k string, v any, want, hint string) {
	t.problem(k, hint, "is %s, want %s", describe(v, k), want)
}

func (t *table) str(k string, hint string) (string, bool) {
	v, ok := t.m[k]
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		t.wrongType(k, v, "a string", hint)
	}
	return s, ok
}

// required returns the non-empty string at k, or reports it missing.
func (t *table) required(k, example string) string {
	if !t.has(k) {
		t.problem(k, "add "+k+" = "+example, "is missing")
		return ""
	}
	s, ok := t.str(k, "write "+k+" = "+example)
	if ok && strings.TrimSpace(s) == "" {
		t.problem(k, "write "+k+" = "+example, "is empty")
	}
	return s
}

// host returns the required host name at key "host".
func (t *table) host(example string) string {
	h := t.required("host", example)
	if strings.ContainsFunc(h, isSpaceOrControl) {
		t.problem("host", "write a host name or address, e.g. "+example, "%s is not a host name", tomlQuote(h))
	}
	return h
}

func (t *table) boolean(k string, def bool) bool {
	v, ok := t.m[k]
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		t.wrongType(k, v, "true or false", "write "+k+" = true or "+k+" = false, without quotes")
		return def
	}
	return b
}

// integer returns the integer at k, which must lie in [lo, hi].
func (t *table) integer(k string, def, lo, hi int64) int64 {
	v, ok := t.m[k]
	if !ok {
		return def
	}
	n, ok := v.(int64)
	if !ok {
		hint := ""
		if s, isStr := v.(string); isStr {
			hint = fmt.Sprintf("write %s = %s, without quotes", k, s)
		}
		t.wrongType(k, v, "an integer", hint)
		return def
	}
	if n < lo || n > hi {
		t.problem(k, "", "%d is out of range; %s", n, rangeText(lo, hi))
		return def
	}
	return n
}

func rangeText(lo, hi int64) string {
	if hi == maxCount {
		return fmt.Sprintf("it must be at least %d", lo)
	}
	return fmt.Sprintf("it must be from %d to %d", lo, hi)
}

// duration returns the duration at k, which must be a string such as "30s" and positive.
// A bare integer is refused: BurntSushi/toml would read 30 as 30ns.
func (t *table) duration(k string, def time.Duration) time.Duration {
	v, ok := t.m[k]
	if !ok {
		return def
	}
	switch x := v.(type) {
	case int64:
		t.problem(k, fmt.Sprintf(`write "%ds"`, x), "%d is a bare number; a duration needs a unit", x)
		return def
	case string:
		d, err := time.ParseDuration(x)
		if err != nil {
			t.problem(k, `write a number with a unit, e.g. "90s", "5m" or "1h30m"`, "%q is not a duration", x)
			return def
		}
		if d <= 0 {
			t.problem(k, `write a positive duration, e.g. "30s"`, "%q is not positive", x)
			return def
		}
		return d
	}
	t.wrongType(k, v, `a duration string`, `write e.g. "30s" or "5m"`)
	return def
}

// size returns the size at k (an integer or a string such as "10MB"), which must be
// positive.
func (t *table) size(k string) int64 {
	const hint = `write a whole number of bytes with an optional unit, e.g. "10MB" or "512KiB"`
	var n int64
	switch x := t.m[k].(type) {
	case nil:
		return 0
	case int64:
		n = x
	case string:
		var err error
		if n, err = ParseSize(x); err != nil {
			t.problem(k, hint, "%v", err)
			return 0
		}
	default:
		t.wrongType(k, x, "a size", hint)
		return 0
	}
	if n <= 0 {
		t.problem(k, hint, "must be positive")
		return 0
	}
	return n
}

// path returns the expanded path at k, or "" if k is not set.
func (t *table) filePath(k string) string {
	s, ok := t.str(k, `write a path in quotes, e.g. "~/Mail"`)
	if !ok {
		return ""
	}
	return t.expand(k, s)
}

func (t *table) expand(k, s string) string {
	if s == "" {
		t.problem(k, "", "is an empty path")
		return ""
	}
	p, err := expandPath(s, t.dir)
	if err != nil {
		t.problem(k, `write the full path, or one starting with "~/"`, "%q: %v", s, err)
		return ""
	}
	return p
}

// filePaths returns the expanded path or list of paths at k, or def if k is not set.
func (t *table) filePaths(k string, def []string) []string {
	if !t.has(k) {
		return def
	}
	list := t.strings(k, true, `write a path or a list of paths, e.g. ["~/.ssh/id_ed25519"]`)
	var out []string
	for _, s := range list {
		if p := t.expand(k, s); p != "" {
			out = append(out, p)
		}
	}
	return out
}
