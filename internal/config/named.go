package config

import (
	"slices"
	"strings"
)

// named returns the tables [kind.NAME] of the document, in file order, reporting
// anything under kind that is not such a table.
func (d *decoder) named(top *table, kind, example string) ([]string, []*table) {
	v, ok := top.m[kind]
	if !ok {
		return nil, nil
	}
	hint := "write [" + kind + "." + example + "] (any name) instead of [" + kind + "]"
	m, ok := v.(map[string]any)
	if _, isArray := v.([]map[string]any); isArray {
		hint = strings.Replace(hint, "["+kind+"]", "[["+kind+"]]", 1)
	}
	if !ok {
		top.wrongType(kind, v, "named tables like ["+kind+"."+example+"]", hint)
		return nil, nil
	}
	var names, loose []string
	var tables []*table
	for _, name := range d.order(kind, m) {
		sub, ok := m[name].(map[string]any)
		if !ok {
			loose = append(loose, quoteKey(name))
			continue
		}
		names = append(names, name)
		tables = append(tables, d.table([]string{kind, name}, sub))
	}
	if len(loose) > 0 {
		verb := "is"
		if len(loose) > 1 {
			verb = "are"
		}
		top.problem(kind, hint, "%s %s set directly under [%s]; each %s is a named table",
			strings.Join(loose, ", "), verb, kind, kind)
	}
	return names, tables
}

// order returns the keys of m, the table at kind, in the order the file defines them.
func (d *decoder) order(kind string, m map[string]any) []string {
	names := make([]string, 0, len(m))
	seen := make(map[string]bool, len(m))
	for _, k := range d.md.Keys() {
		if len(k) < 2 || k[0] != kind || seen[k[1]] {
			continue
		}
		if _, ok := m[k[1]]; ok {
			seen[k[1]] = true
			names = append(names, k[1])
		}
	}
	var rest []string // not expected: every key is in md.Keys
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(names, rest...)
}
