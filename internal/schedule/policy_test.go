package schedule

import (
	"context"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

func TestRetryDelay(t *testing.T) {
	acct := func(poll time.Duration) *config.Account { return &config.Account{PollInterval: poll} }
	for _, c := range []struct {
		poll     time.Duration
		kind     fail.Kind
		failures int
		want     time.Duration
	}{
		{5 * time.Minute, fail.Temporary, 1, 15 * time.Second},
		{5 * time.Minute, fail.Temporary, 2, 30 * time.Second},
		{5 * time.Minute, fail.Temporary, 5, 4 * time.Minute},
		{5 * time.Minute, fail.Temporary, 8, 30 * time.Minute},
		{5 * time.Minute, fail.Temporary, 1000, 30 * time.Minute}, // no overflow
		{5 * time.Minute, fail.Auth, 1, 7*time.Minute + 30*time.Second},
		{5 * time.Minute, fail.Security, 3, 30 * time.Minute},
		{time.Second, fail.Temporary, 1, time.Second},
		{time.Second, fail.Temporary, 4, 8 * time.Second},
		{time.Second, fail.Temporary, 9, 8 * time.Second},
		{2 * time.Hour, fail.Temporary, 1, 15 * time.Second},
		{2 * time.Hour, fail.Temporary, 20, 2 * time.Hour}, // never less often than polling
	} {
		if got := retryDelay(acct(c.poll), c.failures, c.kind, 0); got != c.want {
			t.Errorf("poll %v, %v, failure %d: %v, want %v", c.poll, c.kind, c.failures, got, c.want)
		}
		// Jitter only shortens, by at most a fifth: the cap holds.
		if got := retryDelay(acct(c.poll), c.failures, c.kind, 0.999); got > c.want || got < c.want*4/5 {
			t.Errorf("poll %v, failure %d, full jitter: %v, want within [%v, %v]", c.poll, c.failures, got, c.want*4/5, c.want)
		}
	}
}

func TestReconnectDelay(t *testing.T) {
	want := []time.Duration{0, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := reconnectDelay(i+1, 0); got != w {
			t.Errorf("failure %d: %v, want %v", i+1, got, w)
		}
	}
	if got := reconnectDelay(100, 0); got != maxReconnect {
		t.Errorf("failure 100: %v, want the cap %v", got, maxReconnect)
	}
}

// TestSleepDetector: a wall clock running ahead of the monotonic clock means a
// suspend; both moving together, or a small step, does not.
func TestSleepDetector(t *testing.T) {
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mono time.Duration
	d := &sleepDetector{wall: func() time.Time { return wall }, mono: func() time.Duration { return mono }}
	d.w, d.m = d.wall(), d.mono()
	step := func(w, m time.Duration) (time.Duration, bool) {
		wall, mono = wall.Add(w), mono+m
		return d.check()
	}
	if _, ok := step(5*time.Second, 5*time.Second); ok {
		t.Error("a normal tick was taken for a suspend")
	}
	if _, ok := step(7*time.Second, 5*time.Second); ok {
		t.Error("a 2s clock step was taken for a suspend")
	}
	if slept, ok := step(2*time.Hour, 5*time.Second); !ok || slept != 2*time.Hour-5*time.Second {
		t.Errorf("a 2h suspend: %v, %v", slept, ok)
	}
	if _, ok := step(-time.Hour, 5*time.Second); ok {
		t.Error("the clock set back was taken for a suspend")
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(1)
	ctx := context.Background()
	if !l.acquire(ctx, nil) {
		t.Fatal("first acquire failed")
	}
	stop := make(chan struct{})
	got := make(chan bool)
	go func() { got <- l.acquire(ctx, stop) }()
	select {
	case <-got:
		t.Fatal("a second slot beyond the limit")
	case <-time.After(50 * time.Millisecond):
	}
	l.setLimit(2) // a reload raised max_parallel
	if !<-got {
		t.Fatal("raising the limit did not free a slot")
	}
	go func() { got <- l.acquire(ctx, stop) }()
	close(stop)
	if <-got {
		t.Fatal("acquire succeeded after stop")
	}
	l.release()
	if !l.acquire(ctx, nil) {
		t.Fatal("acquire after release failed")
	}
}

func TestSameAccountIgnoresPosition(t *testing.T) {
	cfg := &config.Config{Hostname: "h"}
	tun := &config.Tunnel{Name: "bastion", Host: "b", Line: 3}
	a := &config.Account{Name: "a", Host: "x", Line: 10, File: "/c.toml", Tunnel: tun}
	b := *a
	b.Line = 12
	tun2 := *tun
	tun2.Line = 5
	b.Tunnel = &tun2
	if !sameAccount(cfg, a, cfg, &b) {
		t.Error("an account moved in the file counts as changed")
	}
	tun2.Host = "other"
	if sameAccount(cfg, a, cfg, &b) {
		t.Error("a changed tunnel host does not count as a change")
	}
	if sameAccount(cfg, a, &config.Config{Hostname: "other"}, a) {
		t.Error("a changed hostname does not count as a change")
	}
}
