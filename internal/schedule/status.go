package schedule

import (
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/run"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// statusBook keeps the status that `fetchsecure status` reads, and writes it to the
// state directory when it changes, at most every statusEvery.
type statusBook struct {
	dir   string
	clock Clock
	log   *slog.Logger
	mu    sync.Mutex
	s     *state.Status
	dirty chan struct{} // capacity 1
}

const statusEvery = 500 * time.Millisecond

// newStatusBook starts the status of a process in mode "daemon" or "once". Totals and
// the last outcome of every account carry over from the previous status file.
func newStatusBook(dir, mode string, clock Clock, log *slog.Logger) *statusBook {
	s, err := state.ReadStatus(dir)
	if err != nil {
		if !state.IsNotExist(err) {
			log.Warn("starting a new status file", "err", err)
		}
		s = &state.Status{}
	}
	s.PID, s.Mode, s.Started = os.Getpid(), mode, clock.Now()
	for _, a := range s.Accounts {
		a.Busy, a.NextPoll, a.RetryDelay = false, time.Time{}, 0
		for _, f := range a.Folders {
			f.Watch, f.WatchError = "", ""
		}
	}
	return &statusBook{dir: dir, clock: clock, log: log, s: s, dirty: make(chan struct{}, 1)}
}

// configure lists the enabled accounts of cfg and their folders, in config order,
// and drops those no longer configured.
func (b *statusBook) configure(cfg *config.Config) {
	b.update(func(s *state.Status) {
		var accounts []*state.AccountStatus
		for _, a := range cfg.Accounts {
			if !a.Enabled {
				continue
			}
			as := s.Account(a.Name)
			var folders []*state.FolderStatus
			for _, f := range a.Folders {
				folders = append(folders, as.Folder(f))
			}
			as.Folders = folders
			accounts = append(accounts, as)
		}
		s.Accounts = accounts
	})
}

// update changes the status under its lock and schedules a write.
func (b *statusBook) update(fn func(*state.Status)) {
	b.mu.Lock()
	fn(b.s)
	b.s.Updated = b.clock.Now()
	b.mu.Unlock()
	select {
	case b.dirty <- struct{}{}:
	default:
	}
}

func (b *statusBook) account(name string, fn func(*state.AccountStatus)) {
	b.update(func(s *state.Status) { fn(s.Account(name)) })
}

func (b *statusBook) snapshot() *state.Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.Clone()
}

// flush writes the status now.
func (b *statusBook) flush() {
	if err := state.WriteStatus(b.dir, b.snapshot()); err != nil {
		b.log.Warn("cannot write the status file", "err", err)
	}
}

// writer writes the status after changes until stop is closed, then once more.
func (b *statusBook) writer(stop <-chan struct{}, written func(*state.Status)) {
	for {
		select {
		case <-stop:
			b.flush()
			return
		case <-b.dirty:
			b.flush()
			if written != nil {
				written(b.snapshot())
			}
			select {
			case <-stop:
			case <-b.clock.After(statusEvery):
			}
		}
	}
}

// recordResult enters the outcome of a fetch.
func recordResult(as *state.AccountStatus, r *run.Result, now time.Time) {
	as.Busy, as.LastAttempt = false, now
	for _, f := range r.Folders {
		fs := as.Folder(f.Folder)
		fs.LastNew = f.Delivered
		fs.Fetched += f.Delivered
		as.Fetched += f.Delivered
		if f.Err != nil {
			fs.LastError = oneLine(f.Err)
			continue
		}
		fs.LastSuccess, fs.LastError = now, ""
	}
	if r.Err != nil {
		as.LastError, as.ErrorKind = oneLine(r.Err), fail.KindOf(r.Err).String()
		as.Failures++
		return
	}
	as.LastSuccess, as.LastError, as.ErrorKind, as.Failures = now, "", "", 0
}

// recordInterrupted enters what a fetch abandoned at shutdown delivered, without
// calling the attempt a success or a failure.
func recordInterrupted(as *state.AccountStatus, r *run.Result) {
	as.Busy = false
	for _, f := range r.Folders {
		as.Folder(f.Folder).Fetched += f.Delivered
		as.Fetched += f.Delivered
	}
}

// oneLine flattens an error for the status file (joined errors have several lines).
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// Record writes the status after a --once run, so that `fetchsecure status` shows
// what cron or a timer did.
func Record(cfg *config.Config, results []*run.Result) error {
	log := slog.New(slog.DiscardHandler)
	b := newStatusBook(cfg.StateDir, "once", realClock{}, log)
	b.configure(cfg)
	now := time.Now()
	b.update(func(s *state.Status) {
		for _, r := range results {
			recordResult(s.Account(r.Account), r, now)
		}
	})
	return state.WriteStatus(cfg.StateDir, b.snapshot())
}
