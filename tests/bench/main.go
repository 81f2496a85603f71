// Command bench is fetchsecure's benchmark harness (issue 8), run by `make bench`.
//
// It starts a private Dovecot (and an OpenSSH sshd forwarding to it) from
// internal/testlib, fills a mailbox of N reproducible messages (testlib.BenchMailbox),
// and measures, interleaved in rounds and reported as medians: fetchsecure over IMAP
// (TLS, keep and delete; through the in-process SSH tunnel) and POP3 (TLS, keep and
// delete), the anchors that are installed (mbsync, mpop, fetchmail with procmail and
// with an ssh plugin, getmail6), and a floor: a bare Go client that streams one
// `UID FETCH 1:* BODY.PEEK[]` to io.Discard. Every delivered copy is compared with the
// source; a tool that loses or corrupts mail is reported and its time does not count.
// Extras: peak RSS on a 100 MB message, a run with nothing new on a 100,000-message
// folder, ten accounts against one, N against N/10, and a CPU profile of fetchsecure.
//
// The table goes to stdout and, with -out, a Markdown report (docs/performance.md).
// Settings come from flags or the BENCH_* environment variables named in their help.
//
//	go run ./tests/bench -out docs/performance.md        # what make bench runs
//	BENCH_N=1000 BENCH_RUNS=1 BENCH_TOOLS=fetchsecure,floor go run ./tests/bench
//
// The floor client (tests/bench/floor) and every tool run as child processes of a
// small launcher (tests/bench/launch), which reports the wall time and wait4's rusage
// (CPU, peak RSS) of each; see launch for why the harness cannot start them itself.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// options are the harness's settings.
type options struct {
	n       int      // messages in the main mailbox
	runs    int      // rounds; each tool's median is over this many runs
	seed    int64    // BenchMailbox seed
	tools   []string // filters on tool names; empty = all
	extras  bool     // 100 MB message, 100k nothing new, ten accounts
	profile bool     // CPU profile and trace of fetchsecure
	out     string   // Markdown report path; "" = none
	keep    string   // directory for the raw profiles and traces; "" = a temporary one
	bin     string   // a prebuilt fetchsecure; "" = build one
	timeout time.Duration
	settle  time.Duration // pause after deletions (bench.settle); 0 in the smoke test
	log     io.Writer     // progress
}

func main() {
	opts := parseOptions(os.Args[1:])
	p := testlib.NewProgram("bench", os.Stderr)
	stopOnSignal(p)
	var rep *report
	err := p.Run(func() { rep = run(p, opts, os.Stdout) })
	p.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if !rep.allCorrect() {
		fmt.Fprintln(os.Stderr, "bench: a tool lost or corrupted mail, or failed; see the table")
	}
	if !rep.fetchsecureCorrect() {
		os.Exit(1)
	}
}

// stopOnSignal stops the servers and removes the temporary files when the run is
// interrupted: Dovecot runs in a process group of its own, which a terminal's ^C
// does not reach.
func stopOnSignal(p *testlib.Program) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "bench: %v; stopping the servers\n", s)
		p.Close()
		os.Exit(130)
	}()
}

func parseOptions(args []string) options {
	o := options{log: os.Stderr}
	var tools string
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.IntVar(&o.n, "n", envInt("BENCH_N", 10000), "messages in the mailbox (BENCH_N)")
	fs.IntVar(&o.runs, "runs", envInt("BENCH_RUNS", 3), "runs per tool, interleaved; the median counts (BENCH_RUNS)")
	fs.Int64Var(&o.seed, "seed", int64(envInt("BENCH_SEED", 1)), "mailbox seed (BENCH_SEED)")
	fs.StringVar(&tools, "tools", os.Getenv("BENCH_TOOLS"), "comma-separated substrings of tool names to run; empty = all, none = none (BENCH_TOOLS)")
	fs.BoolVar(&o.extras, "extras", envBool("BENCH_EXTRAS", true), "100 MB message, 100k nothing new, ten accounts (BENCH_EXTRAS)")
	fs.BoolVar(&o.profile, "profile", envBool("BENCH_PROFILE", true), "CPU profile and trace of fetchsecure (BENCH_PROFILE)")
	fs.StringVar(&o.keep, "profiles", os.Getenv("BENCH_PROFILES"), "keep the raw CPU profiles and the trace in this directory (BENCH_PROFILES)")
	fs.StringVar(&o.out, "out", os.Getenv("BENCH_OUT"), "write the Markdown report here (BENCH_OUT)")
	fs.StringVar(&o.bin, "bin", os.Getenv("BENCH_BIN"), "fetchsecure binary; built from ./cmd/fetchsecure when empty (BENCH_BIN)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "kill a tool run after this long")
	fs.DurationVar(&o.settle, "settle", 6*time.Second, "pause after mass deletions, so that the next run's file creation does not pay for them")
	_ = fs.Parse(args)
	if o.n < 10 || o.runs < 1 {
		fmt.Fprintln(os.Stderr, "bench: -n must be at least 10 and -runs at least 1")
		os.Exit(2)
	}
	for _, t := range strings.Split(tools, ",") {
		if t = strings.TrimSpace(t); t != "" {
			o.tools = append(o.tools, strings.ToLower(t))
		}
	}
	return o
}

// wants reports whether the -tools filter selects a tool name.
func (o options) wants(name string) bool {
	if len(o.tools) == 0 {
		return true
	}
	if len(o.tools) == 1 && o.tools[0] == "none" {
		return false
	}
	for _, t := range o.tools {
		if strings.Contains(strings.ToLower(name), t) {
			return true
		}
	}
	return false
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

func envBool(key string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(key)); err == nil {
		return v
	}
	return def
}
