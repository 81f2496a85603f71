package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/run"
	"github.com/fetchsecure/fetchsecure/internal/schedule"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// fetchCommand is `fetchsecure [--once]`.
func fetchCommand(args []string, stdout, stderr io.Writer) int {
	var g globals
	rest, code, ok := parse("fetchsecure", args, stderr, &g, true, nil)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "fetchsecure: unknown command %q (see fetchsecure help)\n", rest[0])
		return 2
	}
	log, err := g.logger(stderr)
	if err != nil {
		return report(stderr, "", fail.Wrap(fail.Usage, err))
	}
	cfg, err := config.Load(g.config)
	if err != nil {
		return report(stderr, "", err)
	}
	governProcs(cfg)
	if !g.once {
		return daemon(cfg, &g, log, stdout, stderr)
	}
	lock, err := state.Acquire(cfg.StateDir)
	if err != nil {
		return report(stderr, "", err)
	}
	defer lock.Release()

	signal.Ignore(syscall.SIGUSR1) // a `fetchsecure wake` aimed at a daemon must not kill a --once run
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := newOutput(stdout, stderr, g.quiet, g.verbose)
	env := &run.Env{Log: log, Progress: out.progress}
	if isTerminal(os.Stdin) && isTerminal(os.Stderr) {
		env.Interactive, env.Prompt = true, promptPassword
	}
	env.Dialer = run.NewDialer(cfg, env.Prompt)
	defer env.Dialer.Close()
	results := run.Once(ctx, cfg, env)
	if err := schedule.Record(cfg, results); err != nil {
		log.Warn("cannot write the status file", "err", err)
	}
	return out.results(results)
}
