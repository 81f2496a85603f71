package manpage

import (
	"regexp"
	"strings"
)

// key is one key documented in config.example.toml.
type key struct {
	table string // "", "account" or "tunnel"
	name  string
	value string // the example value
	doc   string // the comment after it, with its continuation lines
}

var (
	// keyLine matches `# name = value   # comment` (commented out or not). The value
	// ends at the first " #" or at the end of the line.
	keyLine = regexp.MustCompile(`^(?:#\s?)?\s*([a-z_]+) = (.*?)(?:\s+#\s?(.*))?$`)
	// tableLine matches `[account.work]` or `# [tunnel.bastion]`.
	tableLine = regexp.MustCompile(`^(?:#\s*)?\[(account|tunnel)\.`)
	// moreLine is a comment continuing the one above it: "#", deep indentation and
	// "# text".
	moreLine = regexp.MustCompile(`^#\s{10,}#?\s?(\S.*)$`)
	// codeLine is an indented command shown under a key ("#   openssl …").
	codeLine = regexp.MustCompile(`^#   (\s*\S.*)$`)
)

// parseExample returns the example's introduction (its first comment block) and its
// keys in order of first appearance, each with the first explanation given for it.
func parseExample(example string) (intro string, keys []key) {
	lines := strings.Split(example, "\n")
	var introLines []string
	i := 0
	for ; i < len(lines) && strings.HasPrefix(lines[i], "#"); i++ {
		introLines = append(introLines, strings.TrimPrefix(strings.TrimPrefix(lines[i], "#"), " "))
	}
	seen := map[string]int{}
	table := ""
	for ; i < len(lines); i++ {
		l := lines[i]
		if m := tableLine.FindStringSubmatch(l); m != nil {
			table = m[1]
			continue
		}
		m := keyLine.FindStringSubmatch(l)
		if m == nil || strings.HasPrefix(l, "# ---") {
			continue
		}
		k := key{table: table, name: m[1], value: m[2], doc: m[3]}
		i = k.continued(lines, i)
		id := table + "." + k.name
		if j, ok := seen[id]; ok {
			if keys[j].doc == "" {
				keys[j].doc = k.doc
			}
			continue
		}
		seen[id] = len(keys)
		keys = append(keys, k)
	}
	return strings.TrimSpace(strings.Join(introLines, "\n")), keys
}

// continued adds to k's doc the comment lines after line i that continue it, and
// returns the index of the last one.
func (k *key) continued(lines []string, i int) int {
	for ; i+1 < len(lines); i++ {
		next := lines[i+1]
		if m := moreLine.FindStringSubmatch(next); m != nil {
			k.doc = strings.TrimSpace(k.doc + " " + m[1])
			continue
		}
		if m := codeLine.FindStringSubmatch(next); m != nil && !keyLine.MatchString(next) {
			k.doc += "\n  " + m[1]
			continue
		}
		return i
	}
	return i
}
