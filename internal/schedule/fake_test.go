package schedule

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/run"
)

// fakeClock is a Clock that moves only when the test says so.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// waiting counts those who wait for exactly now+d.
func (c *fakeClock) waiting(d time.Duration) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, n := c.now.Add(d), 0
	for _, w := range c.waiters {
		if w.at.Equal(at) {
			n++
		}
	}
	return n
}

// call is one fetch the daemon made.
type call struct {
	account string
	folders []string
}

// fakeFetcher stands in for internal/run: it records calls and answers with what
// the test programmed.
type fakeFetcher struct {
	calls   chan call
	mu      sync.Mutex
	fail    map[string]int // account → number of next calls that fail
	kind    fail.Kind
	block   map[string]bool // account → block until ctx ends
	running int
	peak    int
}

func newFakeFetcher() *fakeFetcher {
	return &fakeFetcher{calls: make(chan call, 100), fail: map[string]int{}, block: map[string]bool{},
		kind: fail.Temporary}
}

func (f *fakeFetcher) fetch(ctx context.Context, cfg *config.Config, a *config.Account, env *run.Env) *run.Result {
	f.mu.Lock()
	f.running++
	f.peak = max(f.peak, f.running)
	failing := f.fail[a.Name] > 0
	if failing {
		f.fail[a.Name]--
	}
	block, kind := f.block[a.Name], f.kind
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		f.mu.Unlock()
	}()
	f.calls <- call{a.Name, slices.Clone(a.Folders)}
	res := &run.Result{Account: a.Name}
	if block {
		<-ctx.Done()
		res.Err = ctx.Err()
		return res
	}
	if failing {
		res.Err = fail.Wrap(kind, errors.New("server down"))
		return res
	}
	for _, folder := range a.Folders {
		res.Folders = append(res.Folders, &fetch.FolderReport{Folder: folder})
	}
	return res
}

func (f *fakeFetcher) setBlock(account string) {
	f.mu.Lock()
	f.block[account] = true
	f.mu.Unlock()
}

func (f *fakeFetcher) setKind(k fail.Kind) {
	f.mu.Lock()
	f.kind = k
	f.mu.Unlock()
}

func (f *fakeFetcher) setFail(account string, n int) {
	f.mu.Lock()
	f.fail[account] = n
	f.mu.Unlock()
}

// next waits for the next fetch.
func (f *fakeFetcher) next(t *testing.T) call {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no fetch within 10s")
		return call{}
	}
}

// none checks that no fetch happens for a short while.
func (f *fakeFetcher) none(t *testing.T) {
	t.Helper()
	select {
	case c := <-f.calls:
		t.Fatalf("unexpected fetch of %s %v", c.account, c.folders)
	case <-time.After(100 * time.Millisecond):
	}
}

// fakeWatcher is an IDLE watch the test drives.
type fakeWatcher struct {
	mail   chan struct{}
	done   chan struct{}
	once   sync.Once
	err    error
	closed chan struct{}
}

func newFakeWatcher() *fakeWatcher {
	return &fakeWatcher{mail: make(chan struct{}, 1), done: make(chan struct{}), closed: make(chan struct{})}
}

func (w *fakeWatcher) Mail() <-chan struct{} { return w.mail }
func (w *fakeWatcher) Done() <-chan struct{} { return w.done }
func (w *fakeWatcher) Err() error            { return w.err }
func (w *fakeWatcher) Abort()                { w.Close() }

func (w *fakeWatcher) Close() error {
	w.once.Do(func() { close(w.done); close(w.closed) })
	return nil
}

// lose ends the watch as a dropped connection would.
func (w *fakeWatcher) lose() {
	w.err = fail.Wrap(fail.Temporary, errors.New("connection reset"))
	w.once.Do(func() { close(w.done) })
}

// watches hands out fake watchers and reports each new one on a channel.
type watches struct {
	started chan *fakeWatcher
	folders chan string
}

func newWatches() *watches {
	return &watches{started: make(chan *fakeWatcher, 100), folders: make(chan string, 100)}
}

func (ws *watches) watch(ctx context.Context, a *config.Account, folder string, env *run.Env) (watcher, error) {
	w := newFakeWatcher()
	ws.started <- w
	ws.folders <- folder
	return w, nil
}

func (ws *watches) next(t *testing.T) (*fakeWatcher, string) {
	t.Helper()
	select {
	case w := <-ws.started:
		return w, <-ws.folders
	case <-time.After(10 * time.Second):
		t.Fatal("no watch started within 10s")
		return nil, ""
	}
}

func testConfig(t *testing.T, names ...string) *config.Config {
	cfg := &config.Config{StateDir: t.TempDir(), MaxParallel: 4, PollInterval: time.Minute}
	for _, n := range names {
		cfg.Accounts = append(cfg.Accounts, &config.Account{Name: n, Enabled: true, Protocol: config.POP3,
			Folders: []string{"INBOX"}, PollInterval: time.Minute, MaxConnections: 5})
	}
	return cfg
}

// rig runs a daemon with a fake clock, fetcher and watches.
type rig struct {
	t       *testing.T
	d       *Daemon
	clock   *fakeClock
	fetcher *fakeFetcher
	watches *watches
	cancel  context.CancelFunc
	done    chan error
}

func start(t *testing.T, cfg *config.Config, mod ...func(*rig)) *rig {
	t.Helper()
	r := &rig{t: t, clock: newFakeClock(), fetcher: newFakeFetcher(), watches: newWatches(), done: make(chan error, 1)}
	r.d = New(cfg, Options{Load: func() (*config.Config, error) { return cfg, nil }})
	r.d.clock, r.d.fetch, r.d.watch = r.clock, r.fetcher.fetch, r.watches.watch
	r.d.jitter = func() float64 { return 0 }
	for _, m := range mod {
		m(r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.d.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *rig) stop() {
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("Run: %v", err)
		}
		r.done <- nil
	case <-time.After(shutdownGrace + 5*time.Second):
		r.t.Fatal("Run did not return after its context ended")
	}
}

// waitFor waits until a timer is set for now+d: the worker decided when to go on.
func (r *rig) waitFor(d time.Duration) { r.t.Helper(); r.waitForN(d, 1) }

// waitForN waits until n timers are set for now+d.
func (r *rig) waitForN(d time.Duration, n int) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.clock.waiting(d) < n {
		if time.Now().After(deadline) {
			r.t.Fatalf("nobody waits for %v", d)
		}
		time.Sleep(time.Millisecond)
	}
}
