package testlib

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// CheckGoroutines fails the test if goroutines that it started are still running when
// it ends (conventions: no test may leave goroutines behind). Call it first in the
// test, so that its cleanup runs after every other (servers closed, files removed).
//
// It compares goroutine identities, not counts, so a goroutine that ends during the
// test cannot hide one that leaks. Goroutines that were running before are ignored,
// and it waits up to 10 seconds for stragglers (a connection being torn down).
func CheckGoroutines(t testing.TB) {
	t.Helper()
	before := map[string]bool{}
	for _, g := range goroutines() {
		before[goroutineID(g)] = true
	}
	t.Cleanup(func() {
		var left []string
		for deadline := time.Now().Add(leakWait); ; time.Sleep(20 * time.Millisecond) {
			left = left[:0]
			for _, g := range goroutines() {
				if !before[goroutineID(g)] && !ignoredGoroutine(g) {
					left = append(left, g)
				}
			}
			if len(left) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(left) > 0 {
			t.Errorf("%d goroutines left behind:\n\n%s", len(left), strings.Join(left, "\n\n"))
		}
	})
}

// leakWait is how long CheckGoroutines waits for goroutines to end.
var leakWait = 10 * time.Second

// goroutines returns the stack of every goroutine but the caller's.
func goroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")[1:]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goroutineID returns "goroutine 42" of a stack.
func goroutineID(stack string) string {
	head, _, _ := strings.Cut(stack, " [")
	return head
}

// ignoredGoroutine tells the runtime's and the test framework's goroutines apart.
func ignoredGoroutine(stack string) bool {
	for _, s := range []string{"testing.(*T).Run", "testing.tRunner", "testing.(*M).",
		"os/signal.signal_recv", "runtime.ensureSigM", "runtime/trace"} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}
