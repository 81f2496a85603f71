package schedule

import "time"

// Clock is the daemon's view of time; tests use a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// sleepThreshold is how far the wall clock must run ahead of the monotonic clock
// between two ticks for the daemon to conclude that the machine slept. Linux's
// monotonic clock, which Go's timers use, stops during suspend; the wall clock does
// not. Small steps (NTP) stay below the threshold.
const sleepThreshold = 20 * time.Second

// sleepDetector notices that the machine was suspended: after a resume, connections
// are usually dead without knowing it, and timers are late by the time slept.
type sleepDetector struct {
	wall func() time.Time     // wall-clock reading (no monotonic part)
	mono func() time.Duration // monotonic clock since some fixed instant
	w    time.Time
	m    time.Duration
}

func newSleepDetector() *sleepDetector {
	base := time.Now()
	d := &sleepDetector{
		wall: func() time.Time { return time.Now().Round(0) },
		mono: func() time.Duration { return time.Since(base) },
	}
	d.w, d.m = d.wall(), d.mono()
	return d
}

// check returns how long the machine slept since the last check, if it did.
func (d *sleepDetector) check() (time.Duration, bool) {
	w, m := d.wall(), d.mono()
	gap := w.Sub(d.w) - (m - d.m)
	d.w, d.m = w, m
	return gap, gap > sleepThreshold
}
