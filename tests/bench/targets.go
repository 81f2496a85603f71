package main

import (
	"fmt"
	"strings"
	"time"
)

// Tool names the targets refer to.
const (
	fsIMAP = "fetchsecure IMAP TLS keep"
	fsSSH  = "fetchsecure IMAP SSH tunnel keep"
	fsPOP3 = "fetchsecure POP3 TLS keep"
	mbsync = "mbsync (FSync yes)"
	mpop   = "mpop"
	fmSSH  = "fetchmail (ssh -W plugin)"
)

func floorName(proto string) string { return "floor: Go, " + floorWhat[proto] }

func durableFloorName() string { return "floor: Go, " + floorDurable }

// targets judges the goals of issue 8 on this run's medians.
func (b *bench) targets() []target {
	ts := []target{b.correctness()}
	ratio := func(goal, a, bName string, limit float64) {
		ts = append(ts, b.ratioTarget(goal, a, bName, limit))
	}
	ratio("IMAP over TLS ≤ 0.5 × mbsync", fsIMAP, mbsync, 0.5)
	ratio("IMAP over TLS ≤ 1.3 × the Go floor", fsIMAP, floorName("IMAP"), 1.3)
	ratio("POP3 over TLS ≤ 0.7 × mpop", fsPOP3, mpop, 0.7)
	ratio("IMAP via the SSH tunnel ≤ 1.25 × direct TLS", fsSSH, fsIMAP, 1.25)
	ratio("IMAP via the SSH tunnel ≤ 0.1 × fetchmail's ssh plugin", fsSSH, fmSSH, 0.1)
	ts = append(ts, b.rssTarget())
	ts = append(ts, b.extraTarget("nothing new on a 100,000-message folder ≤ 0.5 s",
		fmt.Sprintf("nothing new, folder of %d", hugeFolder), func(s sample) (string, bool) {
			return fmt.Sprintf("%.3f s", s.wall.Seconds()), s.wall <= 500*time.Millisecond
		}))
	ts = append(ts, b.accountsTarget())
	lin := b.ratioTarget(fmt.Sprintf("linear: N=%d ≤ 11 × N=%d", b.main.n, b.tenth.n), fsIMAP,
		fmt.Sprintf("fetchsecure IMAP TLS keep, N=%d", b.tenth.n), 11)
	if floorLin := b.ratioTarget("", durableFloorName(), fmt.Sprintf("%s, N=%d", durableFloorName(), b.tenth.n), 11); floorLin.pass != nil {
		lin.measured += "; the durable floor: " + floorLin.measured
	}
	ts = append(ts, lin)
	if b.main.n != 10000 {
		for i := range ts {
			ts[i].goal += fmt.Sprintf(" (defined at N=10000; this run N=%d)", b.main.n)
		}
	}
	return ts
}

func (b *bench) correctness() target {
	var bad []string
	measured := 0
	for _, tl := range b.tools {
		if tl.kind != fetchsecure {
			continue
		}
		measured++
		if !allOK(b.results[tl.name].samples) {
			bad = append(bad, tl.name)
		}
	}
	for _, e := range b.extras {
		if !e.floor && !allOK(e.samples) {
			bad = append(bad, e.name)
		}
	}
	pass := len(bad) == 0
	msg := "every fetchsecure run delivered every message exactly once, intact"
	if !pass {
		msg = "failed: " + strings.Join(bad, "; ")
	}
	t := target{goal: "every delivered copy equals the source", measured: msg, pass: &pass}
	if measured == 0 {
		t.pass = nil
	}
	return t
}

func (b *bench) ratioTarget(goal, num, den string, limit float64) target {
	a, okA := b.wall(num)
	d, okD := b.wall(den)
	if !okA || !okD {
		return target{goal: goal, measured: missingWhy(b, num, den)}
	}
	r := a.Seconds() / d.Seconds()
	pass := r <= limit
	return target{goal: goal, pass: &pass,
		measured: fmt.Sprintf("%.2f× (%.2f s ÷ %.2f s)", r, a.Seconds(), d.Seconds())}
}

func missingWhy(b *bench, names ...string) string {
	var why []string
	for _, n := range names {
		if _, ok := b.results[n]; !ok {
			why = append(why, n+" not run")
		} else if _, ok := b.wall(n); !ok {
			why = append(why, n+" failed")
		}
	}
	return strings.Join(why, ", ")
}

// rssTarget: the largest peak RSS of any fetchsecure run, the 100 MB message included,
// with the largest of each kind of run for the record.
func (b *bench) rssTarget() target {
	type peak struct {
		kb  int64
		who string
	}
	var worst, mainRuns, big, rest peak
	note := func(p *peak, name string, ss []sample) {
		for _, s := range ss {
			if s.rssKB > p.kb {
				*p = peak{s.rssKB, name}
			}
			if s.rssKB > worst.kb {
				worst = peak{s.rssKB, name}
			}
		}
	}
	for _, tl := range b.tools {
		if tl.kind == fetchsecure {
			note(&mainRuns, tl.name, b.results[tl.name].samples)
		}
	}
	for _, e := range b.extras {
		switch {
		case e.floor:
		case strings.HasPrefix(e.name, "one "):
			note(&big, e.name, e.samples)
		default:
			note(&rest, e.name, e.samples)
		}
	}
	goal := "peak RSS ≤ 25 MB, a 100 MB message included"
	if worst.who == "" {
		return target{goal: goal, measured: "no fetchsecure run"}
	}
	var parts []string
	for _, p := range []struct {
		label string
		p     peak
	}{{"main table", mainRuns}, {"100 MB message", big}, {"other extras", rest}} {
		if p.p.who != "" {
			parts = append(parts, fmt.Sprintf("%s %.1f MB (%s)", p.label, float64(p.p.kb)/1024, p.p.who))
		}
	}
	pass := worst.kb <= 25*1024
	return target{goal: goal, pass: &pass, measured: strings.Join(parts, "; ")}
}

func (b *bench) extraTarget(goal, name string, judge func(sample) (string, bool)) target {
	for _, e := range b.extras {
		if e.name != name {
			continue
		}
		s, ok := median(e.samples)
		if !ok || !allOK(e.samples) {
			return target{goal: goal, measured: "failed: " + verdict(e.samples)}
		}
		msg, pass := judge(s)
		return target{goal: goal, measured: msg, pass: &pass}
	}
	return target{goal: goal, measured: "extras not run"}
}

func (b *bench) accountsTarget() target {
	goal := fmt.Sprintf("%d accounts with nothing new ≤ 1.5 × one", accounts)
	var one, ten *extra
	for _, e := range b.extras {
		switch e.name {
		case "nothing new, one account":
			one = e
		case fmt.Sprintf("nothing new, %d accounts", accounts):
			ten = e
		}
	}
	if one == nil || ten == nil {
		return target{goal: goal, measured: "extras not run"}
	}
	s1, ok1 := median(one.samples)
	s10, ok10 := median(ten.samples)
	if !ok1 || !ok10 {
		return target{goal: goal, measured: "failed"}
	}
	r := s10.wall.Seconds() / s1.wall.Seconds()
	pass := r <= 1.5
	return target{goal: goal, pass: &pass,
		measured: fmt.Sprintf("%.2f× (%.3f s ÷ %.3f s)", r, s10.wall.Seconds(), s1.wall.Seconds())}
}
