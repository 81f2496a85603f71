package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Peak memory is part of what we promise (≤ 25 MB, docs/performance.md). Go's collector
// lets the heap grow to twice what is live before it collects, and gives freed pages
// back to the system lazily; a fetch through SSH turns every 32 KiB packet into garbage,
// so the peak RSS drifts far above what is live. A soft memory limit makes the
// collector keep the heap near the limit. The limit follows the live heap (twice it
// plus slack, what GOGC=100 allows anyway), so that a large state never makes the
// collector run without pause. GOMEMLIMIT, when set, wins.
const (
	baseMemoryLimit = 14 << 20
	memoryCheck     = time.Second
)

// governMemory sets the limit now and adjusts it once per memoryCheck.
func governMemory() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	adjust := func() {
		metrics.Read(sample)
		var live int64
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = int64(sample[0].Value.Uint64())
		}
		debug.SetMemoryLimit(memoryLimit(live))
	}
	adjust()
	go func() {
		for range time.Tick(memoryCheck) {
			adjust()
		}
	}()
}

// memoryLimit is the soft limit for a live heap of live bytes.
func memoryLimit(live int64) int64 {
	return max(baseMemoryLimit, 2*live+4<<20)
}
