package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/testlib/interop"
)

// row identifies a line of a table; cells holds its columns' outcomes.
type row struct {
	key   []string
	cells map[string]*interop.Result
}

// table collects results into rows in order of first appearance.
type table struct {
	rows  []*row
	index map[string]*row
}

func (t *table) add(key []string, col string, r *interop.Result) {
	if t.index == nil {
		t.index = map[string]*row{}
	}
	k := strings.Join(key, "\x00")
	rw := t.index[k]
	if rw == nil {
		rw = &row{key: key, cells: map[string]*interop.Result{}}
		t.index[k] = rw
		t.rows = append(t.rows, rw)
	}
	rw.cells[col] = r
}

// render returns the Markdown of every table and the notes on cells that did not pass.
func render(entries []interop.Entry) string {
	var fetch, deliver table
	var caps []*interop.Caps
	for _, e := range entries {
		switch r := e.Result; {
		case r != nil && (r.Protocol == "SMTP" || r.Protocol == "LMTP"):
			deliver.add([]string{r.Server, r.Protocol}, r.Mode, r)
		case r != nil:
			fetch.add([]string{r.Server, r.Protocol, r.TLS, r.Via}, r.Mode, r)
		case e.Caps != nil:
			caps = upsertCaps(caps, e.Caps)
		}
	}
	var b strings.Builder
	b.WriteString("Fetching (the nasty corpus, byte for byte as the server serves it):\n\n")
	writeTable(&b, []string{"Server", "Protocol", "TLS", "Via"}, []string{"keep", "delete", "NUL", "folders"}, &fetch)
	b.WriteString("\nDelivering (what fetchsecure fetched lands unchanged but for trace fields; " +
		"a 4xx keeps the message on the server and exits 7, a 5xx is reported and exits 10):\n\n")
	writeTable(&b, []string{"Server", "Protocol"}, []string{"deliver", "4xx", "5xx"}, &deliver)
	b.WriteString("\nCapabilities seen (IMAP after LOGIN over TLS, plus STARTTLS from the plaintext port; " +
		"POP3 CAPA likewise):\n\n")
	writeCaps(&b, caps)
	writeNotes(&b, &fetch, &deliver)
	return b.String()
}

func upsertCaps(list []*interop.Caps, c *interop.Caps) []*interop.Caps {
	for i, old := range list {
		if old.Server == c.Server && old.Protocol == c.Protocol {
			list[i] = c
			return list
		}
	}
	return append(list, c)
}

func writeTable(b *strings.Builder, keys, cols []string, t *table) {
	writeRow(b, append(slices.Clone(keys), cols...))
	writeRow(b, slices.Repeat([]string{"---"}, len(keys)+len(cols)))
	for _, rw := range t.rows {
		line := slices.Clone(rw.key)
		for _, c := range cols {
			line = append(line, outcome(rw.cells[c]))
		}
		writeRow(b, line)
	}
}

func outcome(r *interop.Result) string {
	switch {
	case r == nil:
		return "–"
	case r.Outcome == "pass":
		return "pass"
	case r.Outcome == "skip":
		return "skipped"
	}
	return "**" + r.Outcome + "**"
}

func writeRow(b *strings.Builder, cells []string) {
	b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// capColumns are the capabilities the table shows; a protocol that has no such
// capability shows "n/a".
var capColumns = []struct {
	title      string
	imap, pop3 string
}{
	{"STARTTLS/STLS", "STARTTLS", "STLS"},
	{"IDLE", "IDLE", ""},
	{"UIDPLUS", "UIDPLUS", ""},
	{"MOVE", "MOVE", ""},
	{"NAMESPACE", "NAMESPACE", ""},
	{"PIPELINING", "", "PIPELINING"},
	{"UIDL", "", "UIDL"},
	{"UTF8", "UTF8=ACCEPT", "UTF8"},
}

func writeCaps(b *strings.Builder, caps []*interop.Caps) {
	head := []string{"Server", "Protocol"}
	for _, c := range capColumns {
		head = append(head, c.title)
	}
	writeRow(b, append(head, "Greeting"))
	writeRow(b, slices.Repeat([]string{"---"}, len(head)+1))
	for _, c := range caps {
		line := []string{c.Server, c.Protocol}
		for _, col := range capColumns {
			name := col.imap
			if c.Protocol == "POP3" {
				name = col.pop3
			}
			line = append(line, hasCap(c.Caps, name))
		}
		greeting := "`" + clip(withoutCode(c.Greeting), 80) + "`"
		if len(c.Caps) == 0 {
			greeting += " (no CAPABILITY/CAPA: nothing announced)"
		}
		writeRow(b, append(line, greeting))
	}
}

func hasCap(caps []string, name string) string {
	switch {
	case name == "":
		return "n/a"
	case slices.ContainsFunc(caps, func(c string) bool { return c == name || strings.HasPrefix(c, name+" ") }):
		return "yes"
	}
	return "no"
}

func writeNotes(b *strings.Builder, tables ...*table) {
	var notes []string
	for _, t := range tables {
		for _, rw := range t.rows {
			for _, r := range rw.cells {
				if r.Outcome != "pass" {
					notes = append(notes, fmt.Sprintf("- %s, %s: %s", strings.Join(rw.key, " "), r.Mode,
						clip(r.Detail, 300)))
				}
			}
		}
	}
	if len(notes) == 0 {
		return
	}
	slices.Sort(notes)
	b.WriteString("\nCells that did not pass:\n\n" + strings.Join(notes, "\n") + "\n")
}

// apopStamp is the APOP timestamp of a POP3 greeting (RFC 1939 §7), new every time.
var apopStamp = regexp.MustCompile(`<[^<>]*@[^<>]*>`)

// withoutCode drops the response code of an IMAP greeting ("* OK [CAPABILITY ...]
// text"), which the capability columns show, and keeps the text; a POP3 greeting's
// APOP timestamp becomes "<timestamp>", so that the table does not change every run.
func withoutCode(g string) string {
	g = apopStamp.ReplaceAllString(g, "<timestamp>")
	rest, ok := strings.CutPrefix(g, "* OK [")
	if !ok {
		return g
	}
	if _, text, found := strings.Cut(rest, "] "); found {
		return "* OK " + text
	}
	return g
}

// clip keeps s on one line of at most n bytes, without Markdown table breakers.
func clip(s string, n int) string {
	s = strings.NewReplacer("\n", " ", "|", "/", "`", "'").Replace(s)
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
