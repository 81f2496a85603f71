package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/run"
)

// output prints what a run did: one line per account and folder on stdout, errors
// with hints on stderr, and, on a terminal, a progress line that is overwritten.
//
// Under cron it stays quiet unless something happened: a folder with nothing new is
// reported only on a terminal or with -v, so cron mails the user only when there is
// something to read (as fetchmail does).
type output struct {
	stdout, stderr io.Writer
	quiet          bool
	tty            bool // stderr is a terminal: draw progress
	all            bool // report folders with nothing new too (terminal or -v)

	mu   sync.Mutex
	last time.Time
	drew bool
}

func newOutput(stdout, stderr io.Writer, quiet, verbose bool) *output {
	o := &output{stdout: stdout, stderr: stderr, quiet: quiet, all: verbose}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) && !quiet {
		o.tty = true
	}
	if f, ok := stdout.(*os.File); ok && isTerminal(f) {
		o.all = true
	}
	return o
}

// progress draws "work INBOX: 120/1000 messages, 5.2 MB" at most ten times a second.
func (o *output) progress(p fetch.Progress) {
	if !o.tty {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if time.Since(o.last) < 100*time.Millisecond && p.Messages < p.Total {
		return
	}
	o.last, o.drew = time.Now(), true
	fmt.Fprintf(o.stderr, "\r\033[K%s %s: %d/%d messages, %s", p.Account, p.Folder, p.Messages, p.Total, size(p.Bytes))
}

func (o *output) clear() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.drew {
		fmt.Fprint(o.stderr, "\r\033[K")
		o.drew = false
	}
}

// results prints the summary and returns the exit code.
func (o *output) results(results []*run.Result) int {
	o.clear()
	for _, r := range results {
		for _, f := range r.Folders {
			if !o.quiet && (o.all || eventful(f)) {
				fmt.Fprintln(o.stdout, folderLine(r.Account, f))
			}
		}
		if r.Err != nil {
			report(o.stderr, r.Account+": ", r.Err)
		}
	}
	kind, mixed, failed := run.Kind(results)
	switch {
	case !failed:
		return 0
	case mixed:
		return exitMixed
	}
	return exitCode(kind)
}

// eventful: something happened in the folder that a cron user wants to read about.
func eventful(f *fetch.FolderReport) bool {
	return f.New > 0 || f.Deleted > 0 || f.Recovered > 0 || f.Seeded > 0 || len(f.Warnings) > 0
}

// folderLine is "work INBOX: 12 new, 12 delivered, 340 KB, 1.2s".
func folderLine(account string, f *fetch.FolderReport) string {
	parts := []string{fmt.Sprintf("%d new", f.New), fmt.Sprintf("%d delivered", f.Delivered)}
	for _, x := range []struct {
		n    int
		what string
	}{{f.Duplicates, "duplicates skipped"}, {f.Skipped, "over the size limit"},
		{f.Failed, "failed"}, {f.Recovered, "recovered"}, {f.Deleted, "deleted"}} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", x.n, x.what))
		}
	}
	parts = append(parts, size(f.Bytes), seconds(f.Elapsed))
	return fmt.Sprintf("%s %s: %s", account, f.Folder, strings.Join(parts, ", "))
}

func size(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}
