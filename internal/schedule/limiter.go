package schedule

import (
	"context"
	"sync"
)

// limiter bounds how many accounts fetch at the same time (config max_parallel). Its
// limit can change on reload while fetches hold it.
type limiter struct {
	mu      sync.Mutex
	n       int
	limit   int
	changed chan struct{} // closed and replaced whenever n or limit changes
}

func newLimiter(limit int) *limiter {
	return &limiter{limit: max(limit, 1), changed: make(chan struct{})}
}

// acquire waits for a free slot; it gives up, returning false, when ctx ends or stop
// is closed.
func (l *limiter) acquire(ctx context.Context, stop <-chan struct{}) bool {
	for {
		l.mu.Lock()
		if l.n < l.limit {
			l.n++
			l.mu.Unlock()
			return true
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-stop:
			return false
		}
	}
}

func (l *limiter) release() {
	l.mu.Lock()
	l.n--
	l.broadcast()
	l.mu.Unlock()
}

func (l *limiter) setLimit(limit int) {
	l.mu.Lock()
	l.limit = max(limit, 1)
	l.broadcast()
	l.mu.Unlock()
}

func (l *limiter) broadcast() {
	close(l.changed)
	l.changed = make(chan struct{})
}
