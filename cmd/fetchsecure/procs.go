package main

import (
	"os"
	"runtime"

	"github.com/fetchsecure/fetchsecure/internal/config"
)

// One account's fetch is a pipeline of goroutines (the protocol's reader, the
// delivery, the group commit) that hand each message on to the next. With a processor
// (P) per CPU, every handoff wakes another OS thread (futex, netpoll, an idle P
// found and lost again) and the message's bytes change cores; with one P, the woken
// goroutine runs next on the same thread, and the system calls that dominate the
// delivery (write, rename, syncfs) still release the P while they block. Measured
// side by side on the benchmark's 10,000 messages (tests/bench, 2 cores shared with
// Dovecot), three A/B runs: one P per account took 10-18% less wall time over
// IMAP (POP3 and the SSH tunnel: within the noise) and 11-48% less CPU over all three.
//
// So fetchsecure runs one P per account it fetches at the same time, within the
// runtime's default (the CPUs it may use, cgroup quotas included). A GOMAXPROCS set
// in the environment wins.

// governProcs sizes GOMAXPROCS for a run of cfg's enabled accounts. The daemon calls
// it again after each reload.
func governProcs(cfg *config.Config) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.SetDefaultGOMAXPROCS() // what the runtime would choose now
	runtime.GOMAXPROCS(procsFor(cfg.MaxParallel, enabled(cfg), runtime.GOMAXPROCS(0)))
}

// procsFor is one P per account fetched at once, at least one, at most cpus.
func procsFor(maxParallel, accounts, cpus int) int {
	return max(1, min(cpus, maxParallel, accounts))
}

// enabled counts the accounts a run fetches.
func enabled(cfg *config.Config) int {
	n := 0
	for _, a := range cfg.Accounts {
		if a.Enabled {
			n++
		}
	}
	return n
}
