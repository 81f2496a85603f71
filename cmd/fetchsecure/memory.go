package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Peak memory is part of what we promise (≤ 25 MB, docs/performance.md). Go's collector
// lets the heap grow to twice what is live before it collects, and gives freed pages
// back to the system lazily; a fetch through SSH turns every 32 KiB packet into garbage,
// so the peak RSS drifts far above what is live. A soft memory limit makes the
// collector return free pages and collect sooner.
//
// A fixed limit would be wrong both ways: too high for a small heap, and for a large
// state (or a first run listing 100,000 messages) it can fall below what is live plus
// the runtime's own overhead, when the collector runs back to back (measured: 6,500
// collections and twice the CPU for one run). So the limit follows the runtime's own
// accounting: its overhead (stacks, metadata, fragmentation) plus the live heap plus
// room for new garbage, max(4 MiB, half the live heap), set again after every
// collection: so the limit is never below what the collector just found live, and an
// idle daemon, which collects nothing, is never woken for it. GOMEMLIMIT, when set,
// wins.
const minGarbageRoom = 4 << 20

var memorySamples = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
	{Name: "/memory/classes/heap/objects:bytes"},
}

// governMemory sets the limit after each collection, from a finalizer that re-arms
// itself (a finalizer runs once the collection that found its object dead is over).
func governMemory() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	armAfterGC(adjustMemoryLimit)
}

// gcSentinel is not zero-sized: the runtime may never collect a zero-sized object.
type gcSentinel struct{ _ [16]byte }

func armAfterGC(fn func()) {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		fn()
		armAfterGC(fn)
	})
}

func adjustMemoryLimit() {
	metrics.Read(memorySamples)
	var v [5]int64
	for i, s := range memorySamples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = int64(s.Value.Uint64())
		}
	}
	live, total, released, free, objects := v[0], v[1], v[2], v[3], v[4]
	debug.SetMemoryLimit(memoryLimit(live, total-released-free-objects))
}

// memoryLimit is the soft limit for a live heap of live bytes and the runtime's
// overhead: memory it holds that is neither heap objects nor free pages.
func memoryLimit(live, overhead int64) int64 {
	return max(overhead, 0) + live + max(minGarbageRoom, live/2)
}
