package maildir

import (
	"context"
	"slices"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// Publish makes a batch of staged messages durable in one group commit:
//
//  1. make every file durable: one syncfs(2) of the file system where that is sound
//     and cheap, else an fsync of each file, Options.Parallel at a time (see sync.go);
//  2. rename each file from tmp/ to new/, adding ",S=<size>";
//  3. fsync each distinct new/ directory once.
//
// A message whose sync or rename fails is removed and gets its own error; if a new/
// directory cannot be fsync'd, its messages of the batch are removed from new/ again
// and fail, since they might not survive a power loss. Once Publish returns nil for a
// message, it survives one. Errors are classified by safeio.Classify.
func (m *Maildir) Publish(ctx context.Context, batch []fetch.Staged) []error {
	errs := make([]error, len(batch))
	items := make([]*staged, len(batch))
	for i, s := range batch {
		st, ok := s.(*staged)
		switch {
		case !ok || st.m != m:
			errs[i] = fail.Errorf(fail.Internal, "maildir %s: message staged elsewhere", m.root.Path())
		case st.done:
			errs[i] = fail.Errorf(fail.Internal, "maildir: %s published or discarded twice", st.tmp)
		default:
			items[i] = st
		}
	}
	if err := ctx.Err(); err != nil {
		m.failAll(items, errs, fail.Wrap(fail.Temporary, err))
		return errs
	}
	m.syncFiles(items, errs)
	var boxes []*box
	for i, st := range items {
		if st == nil || errs[i] != nil {
			continue
		}
		if err := st.box.tmp.Rename(st.tmp, st.box.new, st.final); err != nil {
			st.Discard()
			errs[i] = safeio.Classify(err)
			continue
		}
		st.done = true
		if !slices.Contains(boxes, st.box) {
			boxes = append(boxes, st.box)
		}
	}
	for _, b := range boxes {
		if err := b.new.Sync(); err != nil {
			m.unpublish(b, items, errs, safeio.Classify(err))
		}
	}
	return errs
}

// unpublish removes from new/ the messages of b that were renamed there in this batch,
// because the directory fsync that would have made them durable failed.
func (m *Maildir) unpublish(b *box, items []*staged, errs []error, err error) {
	for i, st := range items {
		if st != nil && errs[i] == nil && st.box == b {
			b.new.Remove(st.final)
			errs[i] = err
		}
	}
}

// failAll discards every message of the batch with err.
func (m *Maildir) failAll(items []*staged, errs []error, err error) {
	for i, st := range items {
		if st != nil {
			st.Discard()
			errs[i] = err
		}
	}
}
