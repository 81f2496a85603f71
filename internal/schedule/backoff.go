package schedule

import (
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Retrying a failed account: the first retry comes soon (a short outage should cost
// minutes, not a poll interval), later ones further apart, doubling up to a cap, with
// jitter so that accounts on the same server do not retry in step.
const (
	firstRetry = 15 * time.Second
	maxRetry   = 30 * time.Minute
)

// retryDelay is the delay before attempt failures+1 of an account whose last
// failures attempts failed, the last with an error of the given kind. jitter in
// [0, 1) shortens it by up to a fifth, so it never exceeds the cap:
//
//	base = min(poll_interval, 15s)
//	cap  = max(poll_interval, min(8 × poll_interval, 30m))
//	delay = min(base × 2^(failures-1), cap)
//
// With poll_interval = "5m": 15s, 30s, 1m, 2m, 4m, 8m, 16m, 30m, 30m…
// Failures that only the user can fix (a refused login, a changed certificate, a
// configuration problem) start at a quarter of the cap: hammering a server with a
// wrong password gets accounts locked.
func retryDelay(a *config.Account, failures int, kind fail.Kind, jitter float64) time.Duration {
	base := min(a.PollInterval, firstRetry)
	limit := max(a.PollInterval, min(8*a.PollInterval, maxRetry))
	if needsUser(kind) {
		base = max(base, limit/4)
	}
	d := base
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d - time.Duration(jitter*float64(d)/5)
}

// needsUser reports whether a failure of this kind will not go away by itself.
func needsUser(k fail.Kind) bool {
	switch k {
	case fail.Auth, fail.Security, fail.Config, fail.Insecure:
		return true
	}
	return false
}

// Reconnecting an IDLE watcher: at once after a connection that worked for a while
// was lost, then after 2s, 4s… up to 5 minutes while the server stays unreachable.
const (
	firstReconnect = 2 * time.Second
	maxReconnect   = 5 * time.Minute
	// stableWatch is how long a watch must have lasted for its loss to count as a
	// new trouble rather than the continuation of an old one.
	stableWatch = time.Minute
)

func reconnectDelay(failures int, jitter float64) time.Duration {
	if failures <= 1 {
		return 0
	}
	d := firstReconnect
	for i := 2; i < failures && d < maxReconnect; i++ {
		d *= 2
	}
	d = min(d, maxReconnect)
	return d - time.Duration(jitter*float64(d)/5)
}
