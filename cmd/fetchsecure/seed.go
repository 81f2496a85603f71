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
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// seedCommand is `fetchsecure seed [ACCOUNT...]`: record every message now on the
// server as handled, without fetching or deleting anything. Run it once when
// switching from a fetcher that kept mail on the server, or the first run would
// deliver the whole mailbox again.
func seedCommand(args []string, stdout, stderr io.Writer) int {
	var g globals
	rest, code, ok := parse("seed", args, stderr, &g, false, nil)
	if !ok {
		return code
	}
	cfg, err := config.Load(g.config)
	if err != nil {
		return report(stderr, "", err)
	}
	return seed(cfg, &g, rest, stdout, stderr)
}

func seed(cfg *config.Config, g *globals, only []string, stdout, stderr io.Writer) int {
	for _, name := range only {
		if !hasAccount(cfg, name) {
			return report(stderr, "", fail.Errorf(fail.Usage, "no [account.%s] in %s", name, cfg.File))
		}
	}
	log, err := g.logger(stderr)
	if err != nil {
		return report(stderr, "", fail.Wrap(fail.Usage, err))
	}
	lock, err := state.Acquire(cfg.StateDir)
	if err != nil {
		return report(stderr, "", err)
	}
	defer lock.Release()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &run.Env{Log: log, Seed: true, Only: only}
	env.Dialer = run.NewDialer(cfg, nil)
	defer env.Dialer.Close()
	results := run.Once(ctx, cfg, env)
	for _, r := range results {
		for _, f := range r.Folders {
			if f.Err == nil && !g.quiet {
				fmt.Fprintf(stdout, "%s %s: %d messages marked as already delivered\n", r.Account, f.Folder, f.Seeded)
			}
		}
	}
	return newOutput(io.Discard, stderr, g.quiet, false).results(results)
}

func hasAccount(cfg *config.Config, name string) bool {
	for _, a := range cfg.Accounts {
		if a.Name == name {
			return true
		}
	}
	return false
}
