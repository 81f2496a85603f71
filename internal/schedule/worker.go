package schedule

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/run"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// worker schedules one account: it polls every folder every poll_interval, fetches
// at once the folders its IDLE watchers report, and retries failures with backoff.
// The fetches of one account never overlap: they share the account's state. Each
// account has its own worker, so one account's trouble never holds up another.
type worker struct {
	d   *Daemon
	cfg *config.Config
	a   *config.Account
	env *run.Env
	log *slog.Logger

	mu       sync.Mutex
	pending  map[string]bool // folders a watcher reported new mail in
	poked    chan struct{}   // capacity 1: pending changed
	wakeCh   chan struct{}   // capacity 1: poll now
	resumeCh chan struct{}   // capacity 1: the machine slept; reconnect and poll
	stop     chan struct{}   // closed: finish the fetch under way, then return
	stopOnce sync.Once
	done     chan struct{}

	failures int       // consecutive failed fetches
	next     time.Time // next poll of every folder
}

func (d *Daemon) newWorker(cfg *config.Config, a *config.Account) *worker {
	env := &run.Env{Log: d.log, Dialer: run.NewDialer(cfg, d.opts.Prompt),
		Interactive: d.opts.Prompt != nil, Prompt: d.opts.Prompt}
	return &worker{d: d, cfg: cfg, a: a, env: env, log: d.log.With("account", a.Name),
		pending: map[string]bool{}, poked: make(chan struct{}, 1), wakeCh: make(chan struct{}, 1),
		resumeCh: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (w *worker) wake()   { signal(w.wakeCh) }
func (w *worker) resume() { signal(w.resumeCh) }

// halt asks the worker to stop once the fetch under way is done.
func (w *worker) halt() { w.stopOnce.Do(func() { close(w.stop) }) }

// poke marks a folder as holding new mail.
func (w *worker) poke(folder string) {
	w.mu.Lock()
	w.pending[folder] = true
	w.mu.Unlock()
	signal(w.poked)
}

// run is the worker's life. It starts after the worker it replaces (after) is done,
// so that two workers never fetch the same account.
func (w *worker) run(ctx context.Context, after <-chan struct{}) {
	defer close(w.done)
	if after != nil {
		select {
		case <-after:
		case <-ctx.Done():
			return
		}
	}
	defer w.env.Dialer.Close()
	watch := w.startWatchers(ctx)
	defer func() { watch.stop() }()
	poll := true
	for {
		if folders := w.due(poll); len(folders) > 0 && !w.fetch(ctx, folders, poll) {
			return
		}
		poll = false
		wait := w.d.clock.After(max(w.next.Sub(w.d.clock.Now()), 0))
		select {
		case <-ctx.Done():
			return
		case <-w.stop:
			return
		case <-wait:
			poll = true
		case <-w.poked:
		case <-w.wakeCh:
			poll = true
		case <-w.resumeCh:
			watch.stop()
			watch = w.startWatchers(ctx)
			poll = true
		}
	}
}

// due returns the folders to fetch now, in config order: all of them for a poll,
// otherwise those a watcher reported.
func (w *worker) due(poll bool) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, f := range w.a.Folders {
		if poll || w.pending[f] {
			out = append(out, f)
		}
	}
	clear(w.pending)
	return out
}

// fetch fetches folders of the account when a slot is free (max_parallel). It returns
// false if the worker was stopped instead.
func (w *worker) fetch(ctx context.Context, folders []string, poll bool) bool {
	if !w.d.limit.acquire(ctx, w.stop) {
		return false
	}
	w.d.book.account(w.a.Name, func(as *state.AccountStatus) { as.Busy = true })
	a := w.a
	if len(folders) < len(a.Folders) {
		c := *a
		c.Folders = folders
		a = &c
	}
	res := w.d.fetch(ctx, w.cfg, a, w.env)
	w.d.limit.release()
	if ctx.Err() != nil { // shutting down: not a failure of the account
		w.d.book.account(w.a.Name, func(as *state.AccountStatus) { recordInterrupted(as, res) })
		return false
	}
	w.finished(res, poll)
	return true
}

// finished schedules what comes next after a fetch, logs, records and notifies.
func (w *worker) finished(res *run.Result, poll bool) {
	now := w.d.clock.Now()
	var delay time.Duration
	if progressed(res) {
		w.failures = 0
		if poll || w.next.IsZero() {
			w.next = now.Add(w.a.PollInterval)
		}
	} else {
		w.failures++
		delay = retryDelay(w.a, w.failures, fail.KindOf(res.Err), w.d.jitter())
		w.next = now.Add(delay)
	}
	w.report(res, delay)
	w.d.book.account(w.a.Name, func(as *state.AccountStatus) {
		recordResult(as, res, now)
		as.Failures, as.NextPoll, as.RetryDelay = w.failures, w.next, state.Duration(delay.Round(time.Millisecond))
	})
	if w.a.Notify {
		w.d.notify.newMail(w.a, res.Folders)
	}
}

// progressed reports whether a fetch got anywhere: it succeeded, or at least one
// folder did (a folder that does not exist must not slow down the polling of the
// others).
func progressed(res *run.Result) bool {
	if res.Err == nil {
		return true
	}
	for _, f := range res.Folders {
		if f.Err == nil {
			return true
		}
	}
	return false
}

func (w *worker) report(res *run.Result, delay time.Duration) {
	for _, f := range res.Folders {
		if f.Delivered > 0 {
			w.log.Info("new mail delivered", "folder", f.Folder, "messages", f.Delivered,
				"bytes", f.Bytes, "seconds", roundSeconds(f.Elapsed))
		}
	}
	if res.Err == nil {
		return
	}
	attrs := []any{"err", res.Err}
	if h := fail.HintOf(res.Err); h != "" {
		attrs = append(attrs, "hint", h)
	}
	if delay > 0 {
		attrs = append(attrs, "attempt", w.failures, "retry_in", delay.Round(time.Second))
	}
	if fail.KindOf(res.Err) == fail.Temporary {
		w.log.Warn("fetch failed", attrs...)
		return
	}
	w.log.Error("fetch failed", attrs...)
}

func roundSeconds(d time.Duration) float64 { return float64(d.Round(10*time.Millisecond)) / 1e9 }

// defaultFetch fetches with internal/run, as --once does.
func defaultFetch(ctx context.Context, cfg *config.Config, a *config.Account, env *run.Env) *run.Result {
	return run.Account(ctx, cfg, a, env)
}

func defaultJitter() float64 { return rand.Float64() }
