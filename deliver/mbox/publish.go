package mbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// Publish appends a batch under one pair of locks and one fsync. The whole batch is
// delivered or, if anything fails, the mbox is truncated back to its size before the
// batch and every message gets the same (classified) error.
func (m *Mbox) Publish(ctx context.Context, batch []fetch.Staged) []error {
	errs := make([]error, len(batch))
	var items []*staged
	for i, s := range batch {
		st, ok := s.(*staged)
		switch {
		case !ok || st.m != m:
			errs[i] = fail.Errorf(fail.Internal, "mbox %s: message staged elsewhere", m.path)
		case st.done:
			errs[i] = fail.Errorf(fail.Internal, "mbox: %s published or discarded twice", st.name)
		default:
			items = append(items, st)
		}
	}
	if len(items) == 0 {
		return errs
	}
	err := m.publish(ctx, items)
	for i, s := range batch {
		if st, ok := s.(*staged); ok && errs[i] == nil {
			if err != nil {
				st.Discard()
				errs[i] = err
			} else {
				st.done = true
				st.f.Close()
				m.spool.Remove(st.name)
			}
		}
	}
	return errs
}

func (m *Mbox) publish(ctx context.Context, items []*staged) error {
	if err := ctx.Err(); err != nil {
		return fail.Wrap(fail.Temporary, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l, err := m.lock(ctx)
	if err != nil {
		return safeio.Classify(err)
	}
	// The messages are durable once appendBatch returns nil: an error in letting go of
	// the locks must not make the caller deliver them again.
	defer l.unlock()
	return safeio.Classify(m.appendBatch(ctx, l, items))
}

// appendBatch records the batch, appends it and fsyncs; on failure it truncates back.
func (m *Mbox) appendBatch(ctx context.Context, l *lock, items []*staged) error {
	fi, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", m.path, err)
	}
	start := fi.Size()
	prefix, err := blankLinePrefix(l.f, start)
	if err != nil {
		return err
	}
	r := newRecord(m.path, fi, prefix, items)
	if err := safeio.WriteFile(m.spool.Join(r.name), r.encode(), 0o600); err != nil {
		return err
	}
	if err := appendAll(ctx, l, prefix, items); err != nil {
		if terr := truncate(l.f, start); terr != nil {
			return fmt.Errorf("%w; and undoing the partial append failed: %w", err, terr)
		}
		m.mark(r, "abort")
		m.remember(r, fetch.NotDelivered)
		return err
	}
	m.mark(r, "done")
	m.remember(r, fetch.Delivered)
	return nil
}

// newRecord describes a batch about to be appended at the end of the mbox.
func newRecord(path string, fi os.FileInfo, prefix string, items []*staged) *record {
	r := &record{name: items[0].name + recordSuffix, path: path, start: fi.Size(),
		prefix: len(prefix)}
	r.dev, r.ino = identity(fi)
	off := r.start + int64(r.prefix)
	for _, st := range items {
		r.msgs = append(r.msgs, recMsg{receipt: st.name, off: off, size: st.size,
			sum: hexSum(st.sum[:])})
		off += st.size
	}
	return r
}

func (m *Mbox) remember(r *record, o fetch.Outcome) {
	for _, msg := range r.msgs {
		m.records[msg.receipt] = o
	}
}

// blankLinePrefix returns the newlines needed so that the mbox of the given size ends
// with a blank line (or is empty) before the next separator.
func blankLinePrefix(f *os.File, size int64) (string, error) {
	if size == 0 {
		return "", nil
	}
	var tail [2]byte
	n := min(size, 2)
	if _, err := f.ReadAt(tail[2-n:], size-n); err != nil {
		return "", fmt.Errorf("read %s: %w", f.Name(), err)
	}
	switch {
	case n == 2 && tail == [2]byte{'\n', '\n'}:
		return "", nil
	case tail[1] == '\n':
		return "\n", nil
	}
	return "\n\n", nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}

// appendAll writes the prefix and every staged message to the mbox, then fsyncs it.
func appendAll(ctx context.Context, l *lock, prefix string, items []*staged) error {
	if _, err := l.f.WriteString(prefix); err != nil {
		return fmt.Errorf("append to %s: %w", l.f.Name(), err)
	}
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	for _, st := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		src := io.NewSectionReader(st.f, 0, st.size)
		if _, err := io.CopyBuffer(struct{ io.Writer }{l.f}, src, *buf); err != nil {
			return fmt.Errorf("append to %s: %w", l.f.Name(), err)
		}
		l.touch()
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", l.f.Name(), err)
	}
	return nil
}

// truncate cuts the mbox back to size, durably.
func truncate(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}
