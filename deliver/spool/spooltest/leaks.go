package spooltest

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs the tests and fails the run if goroutines outlive them (conventions: no
// test may leave goroutines behind). Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(); leaked != "" {
			os.Stderr.WriteString("goroutines left behind:\n" + leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines waits a while for goroutines other than the caller and the
// runtime's to finish, and returns the stacks of those that did not.
func leakedGoroutines() string {
	var stacks string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		buf := make([]byte, 1<<20)
		all := strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n")
		stacks = ""
		for _, g := range all[1:] { // all[0] is the caller
			if !strings.Contains(g, "testing.(*M).") && !strings.Contains(g, "os/signal.signal_recv") {
				stacks += g + "\n\n"
			}
		}
		if stacks == "" {
			return ""
		}
	}
	return stacks
}
