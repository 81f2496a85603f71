package testlib

import (
	"slices"
	"strings"
)

// ConfigTable joins the lines of a config table ("key = value"), after replacing each
// key that extra sets again by extra's line, removing each key extra names as "-key",
// and appending extra's other lines: a test states its account once and overrides
// what it varies.
func ConfigTable(lines, extra []string) string {
	lines = append([]string(nil), lines...)
	for _, e := range extra {
		if key, ok := strings.CutPrefix(e, "-"); ok {
			lines = slices.DeleteFunc(lines, func(l string) bool {
				k, _, _ := strings.Cut(l, "=")
				return strings.TrimSpace(k) == key
			})
			continue
		}
		key, _, _ := strings.Cut(e, "=")
		key = strings.TrimSpace(key)
		replaced := false
		for i, l := range lines {
			if k, _, ok := strings.Cut(l, "="); ok && strings.TrimSpace(k) == key {
				lines[i], replaced = e, true
			}
		}
		if !replaced {
			lines = append(lines, e)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
