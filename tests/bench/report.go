package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// report is what the harness measured, ready to print.
type report struct {
	b       *bench
	machine []string // "key: value"
	main    table
	ratios  table
	targets []target
	extras  table
	gap     string // where fetchsecure's IMAP time goes against the floors
}

// target is one goal of issue 8, judged on this run.
type target struct {
	goal, measured string
	pass           *bool // nil: not measured in this run
}

func (b *bench) report() *report {
	r := &report{b: b, machine: machine(b)}
	r.main = b.mainTable()
	r.ratios = b.ratioTable()
	r.targets = b.targets()
	r.extras = b.extrasTable()
	r.gap = b.gapSummary()
	return r
}

// allOK reports whether every sample is a correct run.
func allOK(ss []sample) bool {
	for _, s := range ss {
		if !s.ok() {
			return false
		}
	}
	return len(ss) > 0
}

// fetchsecureCorrect reports whether every fetchsecure run and every floor run was
// correct: the harness fails if not, whereas a failing anchor is a finding.
func (r *report) fetchsecureCorrect() bool {
	for _, res := range r.b.results {
		if res.tool.kind != anchor && !allOK(res.samples) {
			return false
		}
	}
	for _, e := range r.b.extras {
		if !allOK(e.samples) {
			return false
		}
	}
	return true
}

// allCorrect reports whether every tool delivered every message intact in every run.
func (r *report) allCorrect() bool {
	for _, res := range r.b.results {
		if !allOK(res.samples) {
			return false
		}
	}
	return true
}

func (b *bench) mainTable() table {
	t := table{head: []string{"tool", "proto", "via", "wall s", "msgs/s", "MB/s", "peak RSS MB", "CPU s", "check"},
		right: []bool{false, false, false, true, true, true, true, true, false}}
	for _, tl := range b.tools {
		res := b.results[tl.name]
		s, ok := median(res.samples)
		check := verdict(res.samples)
		if !ok {
			t.rows = append(t.rows, []string{tl.name, tl.proto, tl.transport, "—", "—", "—", "—", "—", check})
			continue
		}
		sec := s.wall.Seconds()
		t.rows = append(t.rows, []string{tl.name, tl.proto, tl.transport, f2(sec),
			fmt.Sprintf("%.0f", float64(tl.box.n)/sec), fmt.Sprintf("%.1f", mb(tl.box.stored)/sec),
			fmt.Sprintf("%.1f", float64(s.rssKB)/1024), f2(s.cpu.Seconds()), check})
	}
	return t
}

// verdict: "ok" when every run delivered every message intact, else what went wrong;
// a tool with a failed run does not count (median of the good runs is shown only
// when all were good).
func verdict(ss []sample) string {
	bad := 0
	var first string
	for _, s := range ss {
		if !s.ok() {
			bad++
			if first == "" {
				first = s.err
			}
		}
	}
	if bad == 0 {
		return fmt.Sprintf("ok (%d runs)", len(ss))
	}
	return fmt.Sprintf("FAILED %d of %d runs: %s", bad, len(ss), first)
}

// wall returns a tool's median wall time if every run of it was correct.
func (b *bench) wall(name string) (time.Duration, bool) {
	res, ok := b.results[name]
	if !ok || !allOK(res.samples) {
		return 0, false
	}
	s, ok := median(res.samples)
	return s.wall, ok
}

// ratioTable divides each fetchsecure mode's wall time by each reference's.
func (b *bench) ratioTable() table {
	var refs []*tool
	for _, tl := range b.tools {
		if tl.kind != fetchsecure && tl.box == b.main {
			if _, ok := b.wall(tl.name); ok {
				refs = append(refs, tl)
			}
		}
	}
	t := table{head: []string{"fetchsecure ÷"}, right: []bool{false}}
	for _, ref := range refs {
		t.head = append(t.head, ref.name)
		t.right = append(t.right, true)
	}
	for _, tl := range b.tools {
		w, ok := b.wall(tl.name)
		if tl.kind != fetchsecure || tl.box != b.main || !ok {
			continue
		}
		row := []string{tl.name}
		for _, ref := range refs {
			rw, _ := b.wall(ref.name)
			row = append(row, f2(w.Seconds()/rw.Seconds()))
		}
		t.rows = append(t.rows, row)
	}
	return t
}

func (b *bench) extrasTable() table {
	t := table{head: []string{"measurement", "wall s (median)", "peak RSS MB", "CPU s", "runs", "note"},
		right: []bool{false, true, true, true, true, false}}
	for _, e := range b.extras {
		s, ok := median(e.samples)
		row := []string{e.name, "—", "—", "—", fmt.Sprint(len(e.samples)), e.note + " " + verdict(e.samples)}
		if ok {
			row[1], row[2], row[3] = f3(s.wall.Seconds()), fmt.Sprintf("%.1f", float64(s.rssKB)/1024), f2(s.cpu.Seconds())
		}
		t.rows = append(t.rows, row)
	}
	return t
}

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }
func f3(v float64) string { return fmt.Sprintf("%.3f", v) }

// table is rendered as aligned text for the terminal and as Markdown for the report.
type table struct {
	head  []string
	rows  [][]string
	right []bool // right-align the column (numbers)
}

func (t table) text(w io.Writer) {
	widths := make([]int, len(t.head))
	for _, row := range append([][]string{t.head}, t.rows...) {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, row := range append([][]string{t.head}, t.rows...) {
		var cells []string
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if t.right[i] {
				cells = append(cells, pad+c)
			} else {
				cells = append(cells, c+pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(strings.Join(cells, "  "), " "))
	}
}

func (t table) markdown(w io.Writer) {
	fmt.Fprintf(w, "| %s |\n|", strings.Join(t.head, " | "))
	for _, r := range t.right {
		if r {
			fmt.Fprint(w, "---:|")
		} else {
			fmt.Fprint(w, "---|")
		}
	}
	fmt.Fprintln(w)
	for _, row := range t.rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}

func (tg target) status() string {
	switch {
	case tg.pass == nil:
		return "not measured"
	case *tg.pass:
		return "PASS"
	}
	return "FAIL"
}

func (r *report) targetTable() table {
	t := table{head: []string{"target (issue 8)", "this run", "result"}, right: []bool{false, false, false}}
	for _, tg := range r.targets {
		t.rows = append(t.rows, []string{tg.goal, tg.measured, tg.status()})
	}
	return t
}

// print writes the tables to w (stdout).
func (r *report) print(w io.Writer) {
	b := r.b
	fmt.Fprintf(w, "\nN = %d messages (%.0f MB), %d interleaved runs per tool, medians\n\n",
		b.main.n, mb(b.main.stored), b.runs)
	r.main.text(w)
	for _, m := range b.missing {
		fmt.Fprintln(w, "not measured:", m)
	}
	fmt.Fprintln(w, "\nwall-time ratios")
	r.ratios.text(w)
	if len(r.extras.rows) > 0 {
		fmt.Fprintln(w)
		r.extras.text(w)
	}
	fmt.Fprintln(w)
	r.targetTable().text(w)
	if r.gap != "" {
		fmt.Fprintf(w, "\n%s\n", r.gap)
	}
	for _, ps := range b.profiles {
		fmt.Fprintf(w, "\nCPU profile, %s: %s\n", ps.name, ps.oneLine())
	}
}
