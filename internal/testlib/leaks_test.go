package testlib

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// cleanupRecorder is a testing.TB that keeps its cleanups and errors for inspection.
type cleanupRecorder struct {
	testing.TB
	cleanups []func()
	errs     []string
}

func (r *cleanupRecorder) Helper()          {}
func (r *cleanupRecorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *cleanupRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestCheckGoroutinesFindsALeak(t *testing.T) {
	defer func(d time.Duration) { leakWait = d }(leakWait)
	leakWait = 200 * time.Millisecond
	r := &cleanupRecorder{TB: t}
	CheckGoroutines(r)
	stop := make(chan struct{})
	go leakyWorker(stop)
	go func() {}() // ends by itself: not a leak
	r.cleanups[0]()
	close(stop)
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "leakyWorker") {
		t.Fatalf("errors %q, want one naming leakyWorker", r.errs)
	}
	r = &cleanupRecorder{TB: t}
	CheckGoroutines(r)
	r.cleanups[0]()
	if len(r.errs) != 0 {
		t.Fatalf("no leak, yet %q", r.errs)
	}
}

func leakyWorker(stop chan struct{}) { <-stop }
