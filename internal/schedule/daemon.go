// Package schedule is fetchsecure's daemon: `fetchsecure` without --once. It fetches
// every enabled account every poll_interval, and at once when an IMAP IDLE watcher
// (RFC 2177) reports new mail; at most max_parallel accounts fetch at the same time.
// A failing account is retried with exponential backoff and jitter, capped, while
// the others go on. Wake polls everything now (SIGUSR1, `fetchsecure wake`), Reload
// re-reads the configuration (SIGHUP) and keeps the running one if the new one is
// bad, and cancelling Run's context stops it within seconds, abandoning the messages
// in flight safely: the fetch pipeline journals every step, so nothing is lost and
// nothing is delivered twice (docs/design.md).
//
// Each account has a worker goroutine, and each watched folder a goroutine holding
// its own IMAP connection. The daemon notices a suspended laptop by its wall clock
// jumping ahead of its monotonic clock, and then reconnects and polls at once.
// `fetchsecure status` reads what the daemon writes to $state_dir/status.json.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"reflect"
	"sync"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/run"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// Options are what the daemon needs from the command.
type Options struct {
	Log *slog.Logger
	// Load reads the configuration file again, for Reload.
	Load func() (*config.Config, error)
	// Prompt asks for a missing password on the terminal the daemon runs on; nil
	// when there is none (systemd), and then a missing password is an error.
	Prompt func(question string) (string, error)
}

// Daemon runs the accounts of a configuration in the background.
type Daemon struct {
	opts   Options
	log    *slog.Logger
	clock  Clock
	jitter func() float64
	fetch  func(ctx context.Context, cfg *config.Config, a *config.Account, env *run.Env) *run.Result
	watch  func(ctx context.Context, a *config.Account, folder string, env *run.Env) (watcher, error)
	slept  func() (time.Duration, bool) // did the machine sleep since the last call?
	notify *notifier
	book   *statusBook
	limit  *limiter

	cfg      *config.Config
	workers  map[string]*worker // by account name; only Run's goroutine touches it
	wg       sync.WaitGroup     // every worker ever started
	wakeCh   chan struct{}
	reloadCh chan struct{}
}

// shutdownGrace bounds how long Run waits, once its context ends, for fetches and
// watches to wind down. The journal makes an abrupt end safe, only less tidy.
const shutdownGrace = 10 * time.Second

// New returns a daemon for cfg. The caller holds the lock of cfg.StateDir.
func New(cfg *config.Config, opts Options) *Daemon {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{opts: opts, log: opts.Log, clock: realClock{}, jitter: defaultJitter,
		fetch: defaultFetch, watch: defaultWatch, cfg: cfg, workers: map[string]*worker{},
		wakeCh: make(chan struct{}, 1), reloadCh: make(chan struct{}, 1)}
	d.notify = &notifier{log: opts.Log, lookPath: exec.LookPath}
	d.limit = newLimiter(cfg.MaxParallel)
	return d
}

// Wake makes every account poll now, whatever its schedule or backoff.
func (d *Daemon) Wake() { signal(d.wakeCh) }

// Reload re-reads the configuration with Options.Load. Accounts whose settings did
// not change keep running undisturbed; changed ones restart once their fetch under way
// is done; a configuration with errors is reported and the running one kept.
func (d *Daemon) Reload() { signal(d.reloadCh) }

// Run runs until ctx ends, then stops within shutdownGrace.
func (d *Daemon) Run(ctx context.Context) error {
	d.book = newStatusBook(d.cfg.StateDir, "daemon", d.clock, d.log)
	stopWriter := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		d.book.writer(stopWriter, func(s *state.Status) { sdNotify("STATUS=" + summary(s)) })
	}()
	d.apply(ctx, d.cfg)
	d.book.flush()
	sdNotify("READY=1")
	d.log.Info("daemon started", "accounts", len(d.workers), "state_dir", d.cfg.StateDir)
	d.loop(ctx)
	sdNotify("STOPPING=1")
	err := d.shutdown()
	close(stopWriter)
	<-writerDone
	return err
}

// loop handles wake-ups, reloads, suspends and the systemd watchdog until ctx ends.
func (d *Daemon) loop(ctx context.Context) {
	tick := 5 * time.Second
	wd := watchdogInterval()
	if wd > 0 {
		tick = min(tick, wd)
	}
	if d.slept == nil {
		d.slept = newSleepDetector().check
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wakeCh:
			d.log.Info("woken up: polling every account now")
			for _, w := range d.workers {
				w.wake()
			}
		case <-d.reloadCh:
			d.reload(ctx)
		case <-d.clock.After(tick):
			if wd > 0 {
				sdNotify("WATCHDOG=1")
			}
			if slept, ok := d.slept(); ok {
				d.resumed(slept)
			}
		}
	}
}

// resumed reconnects every watcher and polls every account after a suspend.
func (d *Daemon) resumed(slept time.Duration) {
	d.log.Info("the machine was asleep: reconnecting and polling every account",
		"slept", slept.Round(time.Second))
	for _, w := range d.workers {
		w.resume()
	}
}

func (d *Daemon) reload(ctx context.Context) {
	sdNotify("RELOADING=1")
	defer sdNotify("READY=1")
	cfg, err := d.opts.Load()
	if err == nil && cfg.StateDir != d.cfg.StateDir {
		err = fail.Errorf(fail.Config, "state_dir changed from %s to %s: restart fetchsecure to use it",
			d.cfg.StateDir, cfg.StateDir)
	}
	if err != nil {
		d.log.Error("configuration not reloaded; the running one stays in force", "err", err)
		return
	}
	added, changed, removed := d.apply(ctx, cfg)
	d.log.Info("configuration reloaded", "file", cfg.File, "added", added, "changed", changed, "removed", removed)
}

// apply starts, restarts and stops workers to match cfg.
func (d *Daemon) apply(ctx context.Context, cfg *config.Config) (added, changed, removed int) {
	next := map[string]*worker{}
	for _, a := range cfg.Accounts {
		if !a.Enabled {
			continue
		}
		old := d.workers[a.Name]
		if old != nil && sameAccount(d.cfg, old.a, cfg, a) {
			next[a.Name] = old
			continue
		}
		w := d.newWorker(cfg, a)
		var after <-chan struct{}
		if old != nil {
			old.halt()
			after, changed = old.done, changed+1
		} else {
			added++
		}
		next[a.Name] = w
		d.wg.Go(func() { w.run(ctx, after) })
	}
	for name, old := range d.workers {
		if next[name] == nil {
			old.halt()
			removed++
		}
	}
	d.workers, d.cfg = next, cfg
	d.limit.setLimit(cfg.MaxParallel)
	d.book.configure(cfg)
	return added, changed, removed
}

// sameAccount reports whether an account is configured the same way in two configs,
// ignoring where in the file it is written.
func sameAccount(cfgA *config.Config, a *config.Account, cfgB *config.Config, b *config.Account) bool {
	return cfgA.Hostname == cfgB.Hostname && reflect.DeepEqual(normalize(a), normalize(b))
}

func normalize(a *config.Account) *config.Account {
	c := *a
	c.File, c.Line = "", 0
	c.Tunnel = normalizeTunnel(a.Tunnel)
	return &c
}

func normalizeTunnel(t *config.Tunnel) *config.Tunnel {
	if t == nil {
		return nil
	}
	c := *t
	c.File, c.Line = "", 0
	c.Jump = normalizeTunnel(t.Jump)
	return &c
}

// shutdown waits for the workers (whose context has ended) and the notifications.
func (d *Daemon) shutdown() error {
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		d.notify.wait()
		close(done)
	}()
	select {
	case <-done:
		d.log.Info("daemon stopped")
		return nil
	case <-time.After(shutdownGrace):
		return fmt.Errorf("gave up waiting for fetches to end after %v; the next run completes them", shutdownGrace)
	}
}

// summary is the one line `systemctl status` shows (STATUS=).
func summary(s *state.Status) string {
	var idle, failing int
	var next time.Time
	for _, a := range s.Accounts {
		if a.Failures > 0 {
			failing++
		}
		if !a.NextPoll.IsZero() && (next.IsZero() || a.NextPoll.Before(next)) {
			next = a.NextPoll
		}
		for _, f := range a.Folders {
			if f.Watch == watchIdle {
				idle++
			}
		}
	}
	line := fmt.Sprintf("%d accounts, %d folders on IDLE", len(s.Accounts), idle)
	if failing > 0 {
		line += fmt.Sprintf(", %d failing", failing)
	}
	if !next.IsZero() {
		line += ", next poll " + next.Format("15:04:05")
	}
	return line
}
