package schedule

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

func TestPollsEveryInterval(t *testing.T) {
	r := start(t, testConfig(t, "a"))
	for range 3 {
		if c := r.fetcher.next(t); c.account != "a" || !slices.Equal(c.folders, []string{"INBOX"}) {
			t.Fatalf("fetch %+v", c)
		}
		r.waitFor(time.Minute)
		r.fetcher.none(t)
		r.clock.Advance(time.Minute)
	}
}

// TestBackoffGrowsAndIsCapped: failures are retried after 15s, 30s, 1m, … up to the
// cap (8 × poll_interval here), and a success brings back the normal interval.
func TestBackoffGrowsAndIsCapped(t *testing.T) {
	cfg := testConfig(t, "a")
	r := start(t, cfg, func(r *rig) { r.fetcher.setFail("a", 7) })
	want := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
		4 * time.Minute, 8 * time.Minute, 8 * time.Minute}
	for i, delay := range want {
		r.fetcher.next(t)
		r.waitFor(delay)
		st := r.d.book.snapshot().Account("a")
		if st.Failures != i+1 || time.Duration(st.RetryDelay) != delay || st.LastError == "" {
			t.Fatalf("after failure %d: status %+v, want retry in %v", i+1, st, delay)
		}
		r.clock.Advance(delay)
	}
	r.fetcher.next(t)
	r.waitFor(time.Minute)
	if st := r.d.book.snapshot().Account("a"); st.Failures != 0 || st.LastError != "" || st.RetryDelay != 0 {
		t.Fatalf("after a success: status %+v", st)
	}
}

// TestAuthFailureBacksOffFurther: a refused login is not retried within seconds.
func TestAuthFailureBacksOffFurther(t *testing.T) {
	r := start(t, testConfig(t, "a"), func(r *rig) {
		r.fetcher.setKind(fail.Auth)
		r.fetcher.setFail("a", 1)
	})
	r.fetcher.next(t)
	r.waitFor(2 * time.Minute) // a quarter of the 8-minute cap
}

func TestWakePollsNow(t *testing.T) {
	r := start(t, testConfig(t, "a", "b"))
	r.fetcher.next(t)
	r.fetcher.next(t)
	r.fetcher.setFail("a", 1)
	r.d.Wake()
	got := map[string]bool{r.fetcher.next(t).account: true, r.fetcher.next(t).account: true}
	if !got["a"] || !got["b"] {
		t.Fatalf("Wake fetched %v, want both accounts", got)
	}
	r.waitFor(15 * time.Second) // a failed
	r.d.Wake()                  // wakes a during its backoff too
	got = map[string]bool{r.fetcher.next(t).account: true, r.fetcher.next(t).account: true}
	if !got["a"] || !got["b"] {
		t.Fatalf("Wake during backoff fetched %v, want both accounts", got)
	}
}

// TestOneStuckAccountDoesNotStallOthers: an account whose fetch hangs holds one of the
// max_parallel slots; the others go on, and never more than max_parallel fetch at once.
func TestOneStuckAccountDoesNotStallOthers(t *testing.T) {
	cfg := testConfig(t, "stuck", "b", "c")
	cfg.MaxParallel = 2
	r := start(t, cfg, func(r *rig) { r.fetcher.setBlock("stuck") })
	counts := map[string]int{}
	for range 3 {
		counts[r.fetcher.next(t).account]++
	}
	for round := 0; round < 3; round++ {
		r.waitForN(time.Minute, 2)
		r.clock.Advance(time.Minute)
		counts[r.fetcher.next(t).account]++
		counts[r.fetcher.next(t).account]++
	}
	if counts["stuck"] != 1 || counts["b"] != 4 || counts["c"] != 4 {
		t.Fatalf("fetches per account: %v", counts)
	}
	r.fetcher.mu.Lock()
	peak := r.fetcher.peak
	r.fetcher.mu.Unlock()
	if peak > 2 {
		t.Fatalf("%d fetches at once, max_parallel = 2", peak)
	}
}

// TestIdleMailFetchesThatFolder: a watcher's signal fetches its folder only, at once.
func TestIdleMailFetchesThatFolder(t *testing.T) {
	cfg := testConfig(t, "a")
	a := cfg.Accounts[0]
	a.Protocol, a.Idle, a.Folders = config.IMAP, true, []string{"INBOX", "Lists", "Archive"}
	a.MaxConnections = 3 // two watchers, one connection left for fetching
	r := start(t, cfg)
	watched := map[string]*fakeWatcher{}
	for range 2 {
		w, f := r.watches.next(t)
		watched[f] = w
	}
	if watched["INBOX"] == nil || watched["Lists"] == nil {
		t.Fatalf("watched %v, want INBOX and Lists", watched)
	}
	r.fetcher.next(t) // the poll at start
	eventuallyT(t, "Archive polled, others on IDLE", func() bool {
		as := r.d.book.snapshot().Account("a")
		return as.Folder("Archive").Watch == watchPolled && as.Folder("INBOX").Watch == watchIdle
	})
	watched["Lists"].mail <- struct{}{}
	if c := r.fetcher.next(t); !slices.Equal(c.folders, []string{"Lists"}) {
		t.Fatalf("IDLE on Lists fetched %v", c.folders)
	}
	// The connection drops: the watch reconnects at once and fetches what it missed.
	watched["INBOX"].lose()
	if _, f := r.watches.next(t); f != "INBOX" {
		t.Fatalf("reconnected %q, want INBOX", f)
	}
	if c := r.fetcher.next(t); !slices.Equal(c.folders, []string{"INBOX"}) {
		t.Fatalf("after reconnecting fetched %v, want INBOX", c.folders)
	}
}

// TestSleepReconnectsAndPolls: after a suspend every watch is reconnected and every
// account polled, whatever its schedule.
func TestSleepReconnectsAndPolls(t *testing.T) {
	cfg := testConfig(t, "a")
	a := cfg.Accounts[0]
	a.Protocol, a.Idle = config.IMAP, true
	slept := make(chan time.Duration, 1)
	r := start(t, cfg, func(r *rig) {
		r.d.slept = func() (time.Duration, bool) {
			select {
			case s := <-slept:
				return s, true
			default:
				return 0, false
			}
		}
	})
	old, _ := r.watches.next(t)
	r.fetcher.next(t)
	r.waitFor(time.Minute)
	r.waitFor(5 * time.Second) // the loop's tick
	slept <- 8 * time.Hour
	r.clock.Advance(5 * time.Second)
	select {
	case <-old.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the old watch was not closed after the suspend")
	}
	if _, f := r.watches.next(t); f != "INBOX" {
		t.Fatalf("reconnected %q", f)
	}
	r.fetcher.next(t)
}

// TestReload: a changed account restarts, an unchanged one keeps its schedule, a
// removed one stops, a bad configuration changes nothing.
func TestReload(t *testing.T) {
	cfg := testConfig(t, "same", "changed", "removed")
	var mu sync.Mutex
	var next *config.Config
	var loadErr error
	set := func(c *config.Config, err error) {
		mu.Lock()
		next, loadErr = c, err
		mu.Unlock()
	}
	r := start(t, cfg, func(r *rig) {
		r.d.opts.Load = func() (*config.Config, error) {
			mu.Lock()
			defer mu.Unlock()
			return next, loadErr
		}
	})
	for range 3 {
		r.fetcher.next(t)
	}
	set(nil, fail.Errorf(fail.Config, "config.toml:3: broken"))
	r.d.Reload()
	r.fetcher.none(t)

	c := testConfig(t, "same", "changed", "added")
	c.StateDir = cfg.StateDir
	c.Accounts[0].Line = 42 // moved in the file: not a change
	c.Accounts[1].PollInterval = 2 * time.Minute
	set(c, nil)
	r.d.Reload()
	got := map[string]bool{r.fetcher.next(t).account: true, r.fetcher.next(t).account: true}
	if !got["changed"] || !got["added"] {
		t.Fatalf("after the reload fetched %v, want changed and added", got)
	}
	r.fetcher.none(t)
	eventuallyT(t, "the removed account out of the status", func() bool {
		return len(r.d.book.snapshot().Accounts) == 3
	})
	r.waitForN(time.Minute, 2) // same's old schedule, and added's
	r.waitFor(2 * time.Minute) // changed's new poll_interval
	r.clock.Advance(time.Minute)
	got = map[string]bool{r.fetcher.next(t).account: true, r.fetcher.next(t).account: true}
	if !got["same"] || !got["added"] {
		t.Fatalf("a minute later fetched %v, want same and added", got)
	}
}

func TestReloadRefusesNewStateDir(t *testing.T) {
	cfg := testConfig(t, "a")
	other := testConfig(t, "a")
	r := start(t, cfg, func(r *rig) {
		r.d.opts.Load = func() (*config.Config, error) { return other, nil }
	})
	r.fetcher.next(t)
	r.d.Reload()
	r.fetcher.none(t)
	r.stop()
	if r.d.cfg != cfg {
		t.Fatal("a configuration with another state_dir was applied")
	}
}

// TestShutdownAbandonsFetches: ending Run's context cancels the fetches under way
// and Run returns.
func TestShutdownAbandonsFetches(t *testing.T) {
	r := start(t, testConfig(t, "a"), func(r *rig) { r.fetcher.setBlock("a") })
	r.fetcher.next(t)
	start := time.Now()
	r.stop()
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("shutdown took %v", took)
	}
	st, err := state.ReadStatus(r.d.cfg.StateDir)
	if err != nil || st.Mode != "daemon" || len(st.Accounts) != 1 {
		t.Fatalf("status after shutdown: %+v, %v", st, err)
	}
	if a := st.Accounts[0]; a.Busy || a.LastError != "" || a.Failures != 0 {
		t.Errorf("an abandoned fetch is recorded as a failure: %+v", a)
	}
}

func eventuallyT(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
