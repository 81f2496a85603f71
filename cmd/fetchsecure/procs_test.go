package main

import (
	"runtime"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/config"
)

func TestProcsForIsOnePerAccountAtOnce(t *testing.T) {
	for _, c := range []struct{ maxParallel, accounts, cpus, want int }{
		{4, 1, 8, 1},  // one account: one P, however many CPUs
		{4, 10, 8, 4}, // ten accounts, four at a time
		{4, 10, 2, 2}, // never above the runtime's default
		{4, 0, 2, 1},  // no account enabled: still one
	} {
		if got := procsFor(c.maxParallel, c.accounts, c.cpus); got != c.want {
			t.Errorf("procsFor(%d, %d, %d) = %d, want %d", c.maxParallel, c.accounts, c.cpus, got, c.want)
		}
	}
}

func TestGovernProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	one := &config.Config{MaxParallel: 4, Accounts: []*config.Account{{Enabled: true}, {Enabled: false}}}
	t.Setenv("GOMAXPROCS", "")
	governProcs(one)
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("one enabled account: GOMAXPROCS = %d, want 1", got)
	}
	t.Setenv("GOMAXPROCS", "3")
	runtime.GOMAXPROCS(3)
	governProcs(one)
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Errorf("GOMAXPROCS=3 in the environment: set to %d", got)
	}
}
