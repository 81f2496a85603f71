package config

import (
	"slices"
	"strings"
)

// aliases maps names users bring from fetchmail, mbsync or habit to the hint for them.
var aliases = map[string]string{
	"proto":          "did you mean `protocol`?",
	"server":         "did you mean `host`?",
	"username":       "did you mean `user`?",
	"pass":           "did you mean `password`?",
	"passwordeval":   "did you mean `password_command`? (a list: [\"pass\", \"show\", \"mail\"])",
	"passcmd":        "did you mean `password_command`? (a list: [\"pass\", \"show\", \"mail\"])",
	"ssl":            "did you mean `tls`? (tls = \"tls\" is the default)",
	"sslcertck":      "certificates are always verified; remove it",
	"sslfingerprint": "did you mean `tls_fingerprint`? (\"sha256:\" + 64 hex digits)",
	"sslcertfile":    "did you mean `ca_file`?",
	"plugin":         "did you mean `tunnel_command`?",
	"fetchlimit":     "did you mean `max_messages`?",
	"skip":           "write enabled = false",
	"folder":         "did you mean `folders`? (a list: [\"INBOX\"])",
	"mailbox":        "did you mean `folders`? (a list: [\"INBOX\"])",
	"fetchall":       "fetchsecure fetches every message it has not delivered before; remove it",
}

// unknownKeys reports every key of t that is not in known. elsewhere says, for keys that
// are valid in another table, which one.
func (t *table) unknownKeys(known []string, elsewhere func(string) string) {
	keys := make([]string, 0, len(t.m))
	for k := range t.m {
		if !slices.Contains(known, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // the problems' order must not depend on map iteration
	for _, k := range keys {
		hint := suggest(k, known)
		if hint == "" && elsewhere != nil {
			hint = elsewhere(k)
		}
		t.problem(k, hint, "unknown key")
	}
}

// suggest returns a "did you mean" hint for an unknown key, or "".
func suggest(k string, known []string) string {
	if h, ok := aliases[strings.ToLower(k)]; ok {
		return h
	}
	c := closest(k, known)
	switch {
	case c == "":
		return ""
	case strings.EqualFold(c, k):
		return "did you mean `" + c + "`? keys are lowercase"
	}
	return "did you mean `" + c + "`?"
}

// closest returns the candidate nearest to k by edit distance, ignoring case, if it is
// near enough to be a typo; else "".
func closest(k string, candidates []string) string {
	if len(k) > 64 { // no key is that long; spare the quadratic edit distance
		return ""
	}
	lower := strings.ToLower(k)
	best, bestDist := "", 3
	for _, c := range candidates {
		// Allow one typo in a short key, two in a longer one.
		if d := editDistance(lower, strings.ToLower(c)); d < bestDist && d <= min(2, max(1, len(c)/3)) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
