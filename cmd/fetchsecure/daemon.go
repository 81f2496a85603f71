package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/schedule"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// daemon is `fetchsecure` without --once: it runs in the foreground until SIGTERM or
// SIGINT, and never forks (systemd and terminals both want it that way). SIGHUP
// reloads the configuration, SIGUSR1 polls every account now.
func daemon(cfg *config.Config, g *globals, _ *slog.Logger, stdout, stderr io.Writer) int {
	log, err := g.newLogger(stderr, slog.LevelInfo, isTerminal(os.Stderr))
	if err != nil {
		return report(stderr, "", fail.Wrap(fail.Usage, err))
	}
	lock, err := lockForDaemon(cfg.StateDir, log)
	if err != nil {
		return report(stderr, "", err)
	}
	defer lock.Release()
	opts := schedule.Options{Log: log, Load: func() (*config.Config, error) { return reload(g.config) }}
	if isTerminal(os.Stdin) && isTerminal(os.Stderr) {
		opts.Prompt = rememberAnswers(promptPassword)
	}
	d := schedule.New(cfg, opts)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	go handleSignals(sigs, d, stop, log)
	if err := d.Run(ctx); err != nil {
		log.Warn("stopping", "err", err)
	}
	return 0
}

// reload loads the configuration again for SIGHUP, and sizes GOMAXPROCS for it.
func reload(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err == nil {
		governProcs(cfg)
	}
	return cfg, err
}

// handleSignals maps signals to the daemon's controls. A second SIGTERM or SIGINT
// exits at once: the journal makes that safe (an interrupted delivery is settled
// by the next run).
func handleSignals(sigs <-chan os.Signal, d *schedule.Daemon, stop func(), log *slog.Logger) {
	stopping := false
	for s := range sigs {
		switch s {
		case syscall.SIGHUP:
			d.Reload()
		case syscall.SIGUSR1:
			d.Wake()
		default:
			if stopping {
				log.Warn("second signal: exiting now; the next run completes what was interrupted")
				os.Exit(128 + int(s.(syscall.Signal)))
			}
			stopping = true
			log.Info("stopping: finishing or abandoning the messages in flight", "signal", s.String())
			stop()
		}
	}
}

// lockWait is how long a starting daemon waits for a --once run (cron, a timer) that
// holds the state; it must stay under systemd's start timeout (90 s by default).
const lockWait = 60 * time.Second

// lockForDaemon takes the state lock. Another daemon holding it is an error at once;
// a --once run is waited for.
func lockForDaemon(stateDir string, log *slog.Logger) (*state.Lock, error) {
	deadline := time.Now().Add(lockWait)
	logged := false
	for {
		lock, err := state.Acquire(stateDir)
		if err == nil || fail.KindOf(err) != fail.Locked {
			return lock, err
		}
		pid := state.Holder(stateDir)
		if st, _ := state.ReadStatus(stateDir); pid != 0 && st != nil && st.PID == pid && st.Mode == "daemon" {
			return nil, fail.Hint(fail.Locked, fmt.Errorf("a fetchsecure daemon (pid %d) is already running on %s", pid, stateDir),
				"use `fetchsecure wake` to make it poll now, or `fetchsecure status` to see what it does")
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		if !logged {
			log.Info("waiting for the other fetchsecure to finish", "pid", pid, "state_dir", stateDir)
			logged = true
		}
		time.Sleep(time.Second)
	}
}

// rememberAnswers asks each question once: a daemon started on a terminal asks for
// a missing password at the first fetch and reuses the answer afterwards, as
// fetchmail does. Restart it to answer again.
func rememberAnswers(ask func(string) (string, error)) func(string) (string, error) {
	var mu sync.Mutex
	answers := map[string]string{}
	return func(q string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if a, ok := answers[q]; ok {
			return a, nil
		}
		a, err := ask(q)
		if err != nil {
			return "", err
		}
		if a == "" {
			return "", errors.New("no password given")
		}
		answers[q] = a
		return a, nil
	}
}
