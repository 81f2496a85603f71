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

// uniqueName returns the first candidate that is not empty and not taken, else the
// first non-empty one with a number appended, and marks it taken.
func uniqueName(taken map[string]bool, candidates ...string) string {
	base := ""
	candidates = append(candidates, "account")
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if base == "" {
			base = c
		}
		if !taken[c] {
			taken[c] = true
			return c
		}
	}
	for n := 2; ; n++ {
		if c := base + "-" + strconv.Itoa(n); !taken[c] {
			taken[c] = true
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
	taken := map[string]bool{}
	for i, a := range accts {
		a.name = uniqueName(taken, levels[i][level[i]])
	}
}
