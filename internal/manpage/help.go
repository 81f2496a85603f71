package manpage

import (
	"regexp"
	"strings"
)

// helpBlock is one block of --help: a title line ("Commands:") and its entries.
type helpBlock struct {
	title   string
	entries []entry
}

// entry is one line of a block: "  check     validate the configuration" gives
// term "check", text "validate the configuration".
type entry struct{ term, text string }

var (
	// columns splits an entry line at its first run of two or more spaces.
	columns = regexp.MustCompile(`^\s*(\S.*?)(?:\s{2,}(\S.*))?$`)
	// number splits an exit-code line ("  10 a message could not…") after the code.
	number = regexp.MustCompile(`^\s*(\d+)\s+(\S.*)$`)
)

// parseHelp reads the blocks of a --help text: unindented lines ending in ":" start a
// block, indented lines are its entries.
func parseHelp(help string) []helpBlock {
	var blocks []helpBlock
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case !strings.HasPrefix(line, " ") && strings.HasSuffix(line, ":"):
			blocks = append(blocks, helpBlock{title: strings.TrimSuffix(line, ":")})
		case len(blocks) > 0:
			m := number.FindStringSubmatch(line)
			if m == nil {
				m = columns.FindStringSubmatch(line)
			}
			b := &blocks[len(blocks)-1]
			b.entries = append(b.entries, entry{term: m[1], text: m[2]})
		}
	}
	return blocks
}

func block(blocks []helpBlock, title string) []entry {
	for _, b := range blocks {
		if b.title == title {
			return b.entries
		}
	}
	return nil
}
