package main

import "testing"

func TestMemoryLimitFollowsTheLiveHeap(t *testing.T) {
	for _, c := range []struct{ live, want int64 }{
		{0, baseMemoryLimit},
		{4 << 20, baseMemoryLimit},
		{100 << 20, 204 << 20}, // a large state: as GOGC=100 would allow, plus slack
	} {
		if got := memoryLimit(c.live); got != c.want {
			t.Errorf("memoryLimit(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}
