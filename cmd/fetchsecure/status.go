package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// statusCommand is `fetchsecure status`: per account and folder, the last success, the
// last error, the messages fetched and the next poll, as the daemon or the last --once
// run wrote them. It takes no lock, so it works while the daemon runs.
func statusCommand(args []string, stdout, stderr io.Writer) int {
	var g globals
	var asJSON bool
	rest, code, ok := parse("status", args, stderr, &g, false, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the status as JSON")
	})
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return report(stderr, "", fail.Errorf(fail.Usage, "usage: fetchsecure status [--json] [-c FILE]"))
	}
	cfg, err := config.Load(g.config)
	if err != nil {
		return report(stderr, "", err)
	}
	st, err := state.ReadStatus(cfg.StateDir)
	if state.IsNotExist(err) {
		fmt.Fprintf(stdout, "fetchsecure has not run yet with the state in %s\n", cfg.StateDir)
		return 0
	}
	if err != nil {
		return report(stderr, "", err)
	}
	running := st.PID != 0 && state.Holder(cfg.StateDir) == st.PID
	if asJSON {
		b, _ := json.MarshalIndent(struct {
			Running bool `json:"running"`
			*state.Status
		}{running, st}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	renderStatus(stdout, st, running, time.Now())
	return 0
}

// renderStatus prints the status for people:
//
//	fetchsecure daemon running (pid 4242) since 10:00:03 (2h5m ago)
//
//	work: ok; last success 12:01:05 (3m ago); next poll 12:06:05 (in 2m); 1520 fetched
//	  INBOX     IDLE    last success 12:01:05 (3m ago)  1500 fetched
//	  Lists/go  polled  last success 12:01:05 (3m ago)  20 fetched
func renderStatus(w io.Writer, st *state.Status, running bool, now time.Time) {
	fmt.Fprintln(w, headline(st, running, now))
	for _, a := range st.Accounts {
		fmt.Fprintln(w)
		fmt.Fprintln(w, accountLine(a, running, now))
		var notes []string
		if a.LastError != "" {
			notes = append(notes, "last error: "+a.LastError)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, f := range a.Folders {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d fetched\n", f.Name, watchWord(f, running), since("last success", f.LastSuccess, now), f.Fetched)
			if f.LastError != "" && f.LastError != a.LastError {
				notes = append(notes, f.Name+": "+f.LastError)
			}
			if f.WatchError != "" && running && f.WatchError != a.LastError {
				notes = append(notes, f.Name+": IDLE: "+f.WatchError)
			}
		}
		tw.Flush()
		for _, n := range notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
}

func headline(st *state.Status, running bool, now time.Time) string {
	switch {
	case running && st.Mode == "daemon":
		return fmt.Sprintf("fetchsecure daemon running (pid %d) since %s", st.PID, when(st.Started, now))
	case running:
		return fmt.Sprintf("fetchsecure --once running (pid %d) since %s", st.PID, when(st.Started, now))
	case st.Mode == "daemon":
		return fmt.Sprintf("fetchsecure is not running (the last daemon, pid %d, reported at %s)", st.PID, when(st.Updated, now))
	}
	return fmt.Sprintf("fetchsecure is not running (the last run, --once, reported at %s)", when(st.Updated, now))
}

func accountLine(a *state.AccountStatus, running bool, now time.Time) string {
	parts := []string{"ok"}
	switch {
	case a.Busy && running:
		parts[0] = "fetching"
	case a.Failures > 1:
		parts[0] = fmt.Sprintf("FAILING (%d attempts in a row)", a.Failures)
	case a.Failures == 1 || a.LastError != "":
		parts[0] = "FAILED"
	case a.LastAttempt.IsZero():
		parts[0] = "not fetched yet"
	}
	parts = append(parts, since("last success", a.LastSuccess, now))
	if running && !a.Busy && !a.NextPoll.IsZero() {
		parts = append(parts, nextPoll(a, now))
	}
	parts = append(parts, fmt.Sprintf("%d fetched", a.Fetched))
	return a.Name + ": " + strings.Join(parts, "; ")
}

func nextPoll(a *state.AccountStatus, now time.Time) string {
	what := "next poll "
	if a.RetryDelay > 0 {
		what = fmt.Sprintf("backing off %s, next try ", short(time.Duration(a.RetryDelay)))
	}
	if !a.NextPoll.After(now) {
		return what + "now"
	}
	return what + when(a.NextPoll, now)
}

func watchWord(f *state.FolderStatus, running bool) string {
	if !running || f.Watch == "" {
		return "-"
	}
	if f.Watch == "idle" {
		return "IDLE"
	}
	return f.Watch
}

func since(what string, t, now time.Time) string {
	if t.IsZero() {
		return what + " never"
	}
	return what + " " + when(t, now)
}

// when is "12:01:05 (3m ago)", "12:06:05 (in 2m)" or "2026-11-20 09:10 (7d ago)".
func when(t, now time.Time) string {
	abs := t.Format("15:04:05")
	if y, m, d := t.Date(); y != now.Year() || m != now.Month() || d != now.Day() {
		abs = t.Format("2006-01-02 15:04")
	}
	if d := t.Sub(now); d > 0 {
		return fmt.Sprintf("%s (in %s)", abs, short(d))
	}
	return fmt.Sprintf("%s (%s ago)", abs, short(now.Sub(t)))
}

// short is a duration the way people say it: "45s", "3m", "2h5m", "7d".
func short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}
