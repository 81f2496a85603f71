package fetchmailrc

import (
	"strconv"
	"strings"
)

// sanitize makes a TOML bare key out of a host or user name: lower case letters,
// digits and single dashes ("imap.Example.com" → "imap-example-com").
func sanitize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// names hands out unique table names.
type names struct {
	taken map[string]bool
	next  map[string]int // the next number to try after a base name
}

func newNames() *names { return &names{taken: map[string]bool{}, next: map[string]int{}} }

// unique returns the first candidate that is not empty and not taken, else the first
// non-empty one with a number appended, and marks it taken.
func (ns *names) unique(candidates ...string) string {
	base := ""
	for _, c := range append(candidates, "account") {
		if c == "" {
			continue
		}
		if base == "" {
			base = c
		}
		if !ns.taken[c] {
			ns.taken[c] = true
			return c
		}
	}
	for n := max(ns.next[base], 2); ; n++ {
		if c := base + "-" + strconv.Itoa(n); !ns.taken[c] {
			ns.taken[c], ns.next[base] = true, n+1
			return c
		}
	}
}

// nameAccounts names accounts after the poll name; when several share it, after the
// poll name and the user's local part, or the first folder, or both, then a number.
func nameAccounts(accts []*acct) {
	levels := make([][]string, len(accts))
	for i, a := range accts {
		local, _, _ := strings.Cut(a.userName, "@")
		name, folder := a.r.e.name, a.firstFolder()
		levels[i] = []string{sanitize(name), sanitize(name + "-" + local),
			sanitize(name + "-" + folder), sanitize(name + "-" + local + "-" + folder)}
	}
	level := make([]int, len(accts))
	for changed := true; changed; {
		changed = false
		count := map[string]int{}
		for i := range accts {
			count[levels[i][level[i]]]++
		}
		for i := range accts {
			if count[levels[i][level[i]]] > 1 && level[i] < len(levels[i])-1 {
				level[i]++
				changed = true
			}
		}
	}
	ns := newNames()
	for i, a := range accts {
		a.name = ns.unique(levels[i][level[i]])
	}
}
