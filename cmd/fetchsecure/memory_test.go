package main

import (
	"runtime"
	"testing"
	"time"
)

func TestMemoryLimitLeavesRoomAboveTheLiveHeap(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct{ live, overhead, want int64 }{
		{0, 3 * mib, 7 * mib},
		{4 * mib, 3 * mib, 11 * mib},
		{100 * mib, 10 * mib, 160 * mib}, // a large state: as GOGC=50 would allow
		{mib, -mib, 5 * mib},             // metrics read between updates
	} {
		got := memoryLimit(c.live, c.overhead)
		if got != c.want {
			t.Errorf("memoryLimit(%d MiB, %d MiB) = %d MiB, want %d MiB", c.live/mib, c.overhead/mib, got/mib, c.want/mib)
		}
		if got < c.live+c.overhead+minGarbageRoom {
			t.Errorf("memoryLimit(%d, %d) leaves the collector no room", c.live, c.overhead)
		}
	}
}

func TestMemoryLimitIsSetAfterACollection(t *testing.T) {
	ran := make(chan struct{}, 1)
	armAfterGC(func() {
		select {
		case ran <- struct{}{}:
		default:
		}
	})
	for range 10 {
		runtime.GC()
		select {
		case <-ran:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("the hook did not run after ten collections")
}
