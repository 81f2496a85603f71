package schedule

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch/imap"
	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/run"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// watcher is what the daemon needs of an IDLE watch (*imap.Watcher).
type watcher interface {
	Mail() <-chan struct{}
	Done() <-chan struct{}
	Err() error
	Close() error
	Abort()
}

func defaultWatch(ctx context.Context, a *config.Account, folder string, env *run.Env) (watcher, error) {
	w, err := run.Watch(ctx, a, folder, env)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Watch states shown by `fetchsecure status`.
const (
	watchIdle       = "idle"       // IDLE running: new mail is fetched within seconds
	watchConnecting = "connecting" // (re)connecting the IDLE session
	watchPolled     = "polled"     // fetched every poll_interval only
)

// watchSet is the IDLE watchers of one worker.
type watchSet struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (s *watchSet) stop() {
	s.cancel()
	s.wg.Wait()
}

// startWatchers watches the account's folders with IDLE, one connection each. The
// first max_connections-1 folders in config order are watched, keeping one connection
// for the fetches; the others are polled.
func (w *worker) startWatchers(ctx context.Context) *watchSet {
	ctx, cancel := context.WithCancel(ctx)
	s := &watchSet{cancel: cancel}
	watched := w.watchable()
	w.d.book.account(w.a.Name, func(as *state.AccountStatus) {
		for i, f := range w.a.Folders {
			fs := as.Folder(f)
			fs.Watch, fs.WatchError = watchPolled, ""
			if i < len(watched) {
				fs.Watch = watchConnecting
			}
		}
	})
	for _, f := range watched {
		s.wg.Go(func() { w.watchFolder(ctx, f) })
	}
	return s
}

func (w *worker) watchable() []string {
	a := w.a
	if !a.Idle || a.Protocol != config.IMAP {
		return nil
	}
	n := min(len(a.Folders), a.MaxConnections-1)
	if n < len(a.Folders) {
		w.log.Info("IDLE needs a connection per folder: watching the first folders, polling the others",
			"watched", n, "polled", len(a.Folders)-n, "max_connections", a.MaxConnections)
	}
	return a.Folders[:max(n, 0)]
}

// watchFolder keeps an IDLE watch on folder until ctx ends, reconnecting when the
// connection is lost: at once if it had worked for a while, then with growing delays.
func (w *worker) watchFolder(ctx context.Context, folder string) {
	log := w.log.With("folder", folder)
	failures, connected := 0, false
	for {
		wt, err := w.d.watch(ctx, w.a, folder, w.env)
		if ctx.Err() != nil {
			if wt != nil {
				wt.Abort()
			}
			return
		}
		if err != nil {
			failures++
			if !w.watchFailed(ctx, log, folder, err, failures) {
				return
			}
			continue
		}
		if connected {
			w.poke(folder) // mail may have arrived while the watch was down
		}
		connected = true
		w.setWatch(folder, watchIdle, nil)
		log.Debug("IDLE watching")
		start := w.d.clock.Now()
		err = w.follow(ctx, wt, folder)
		if ctx.Err() != nil {
			return
		}
		if w.d.clock.Now().Sub(start) >= stableWatch {
			failures = 0
		}
		failures++
		log.Info("IDLE connection lost; reconnecting", "err", err)
		w.setWatch(folder, watchConnecting, err)
		if !sleep(ctx, w.d.clock, reconnectDelay(failures, w.d.jitter())) {
			return
		}
	}
}

// watchFailed handles a failed attempt to start watching; it returns false when the
// folder is to be polled only, or ctx ended while waiting to try again.
func (w *worker) watchFailed(ctx context.Context, log *slog.Logger, folder string, err error, failures int) bool {
	if errors.Is(err, imap.ErrNoIdle) {
		log.Info("the server does not offer IDLE; polling every poll_interval")
		w.setWatch(folder, watchPolled, err)
		return false
	}
	w.setWatch(folder, watchConnecting, err)
	delay := reconnectDelay(failures, w.d.jitter())
	if needsUser(fail.KindOf(err)) {
		delay = maxRetry // the poll reports it; do not hammer the server
	}
	if failures == 1 || needsUser(fail.KindOf(err)) {
		log.Warn("cannot start IDLE", "err", err, "retry_in", delay.Round(time.Second))
	}
	return sleep(ctx, w.d.clock, delay)
}

// follow passes the watcher's new-mail signals on until the watch ends.
func (w *worker) follow(ctx context.Context, wt watcher, folder string) error {
	for {
		select {
		case <-wt.Mail():
			w.poke(folder)
		case <-wt.Done():
			err := wt.Err()
			wt.Close()
			return err
		case <-ctx.Done():
			closeWatcher(wt)
			return nil
		}
	}
}

// closeWatcher ends a watch politely (DONE, LOGOUT) if the server answers quickly,
// and drops the connection otherwise: after a suspend it is usually dead.
func closeWatcher(wt watcher) {
	done := make(chan struct{})
	go func() {
		wt.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		wt.Abort()
		<-done
	}
}

func (w *worker) setWatch(folder, how string, err error) {
	w.d.book.account(w.a.Name, func(as *state.AccountStatus) {
		fs := as.Folder(folder)
		fs.Watch, fs.WatchError = how, ""
		if err != nil {
			fs.WatchError = oneLine(err)
		}
	})
}

// sleep waits for d; it returns false if ctx ended first.
func sleep(ctx context.Context, c Clock, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-c.After(d):
		return true
	}
}
