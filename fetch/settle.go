package fetch

import (
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// settle journals what became of each message of a published batch and counts it.
func (r *folderRun) settle(b *batch) error {
	del := state.Settlement{Delete: !r.Keep, Since: r.since(b)}
	keep := state.Settlement{} // placeholders: handled, the original stays
	for _, it := range b.items {
		k := keyFor(it.ref)
		switch {
		case it.err != nil:
			del.Retry = append(del.Retry, k)
			r.countFailure(it)
		case it.duplicate:
			del.Done = append(del.Done, k)
			r.fr.Duplicates++
		case it.keepOrig:
			keep.Done = append(keep.Done, k)
		default:
			del.Done = append(del.Done, k)
			r.countDelivery(it)
			if it.id != "" && (r.Keep || r.Dedupe) {
				del.IDs = append(del.IDs, it.id)
			}
		}
	}
	del.Retry = append(del.Retry, r.unreturned(b, del.Since)...)
	if err := r.State.Settle(r.fr.Folder, del); err != nil {
		return err
	}
	if len(keep.Done) == 0 {
		return nil
	}
	return r.State.Settle(r.fr.Folder, keep)
}

func (r *folderRun) countDelivery(it item) {
	r.fr.Delivered++
	r.fr.Bytes += it.bytes
	if it.from != "" && len(r.fr.Senders) < MaxSenders {
		r.fr.Senders = append(r.fr.Senders, it.from)
	}
}

func (r *folderRun) countFailure(it item) {
	if it.err == errOverLimit {
		r.fr.Skipped++
		return
	}
	r.fr.Failed++
	r.warn("%v (kept on the server, tried again next run)", it.err)
}

// since is the new IMAP high-water mark: the highest UID processed in the batch.
func (r *folderRun) since(b *batch) uint32 {
	var since uint32
	for _, it := range b.items {
		since = max(since, it.ref.UID)
	}
	return since
}

// unreturned deals with the refs asked for but never returned by the server (a UID
// sent after the body, a message expunged meanwhile) or not reached before an error.
// Those whose UID lies below the new high-water mark go to the retry set, so the mark
// can move on without losing them; the others lie above it and are listed again
// anyway. A message the server left out of a complete answer is warned about, so that
// one it never returns cannot go unnoticed.
func (r *folderRun) unreturned(b *batch, since uint32) []state.Key {
	seen := make(map[Ref]bool, len(b.items))
	for _, it := range b.items {
		seen[Ref{UID: it.ref.UID, UIDL: it.ref.UIDL}] = true
	}
	var out []state.Key
	for _, ref := range b.refs {
		if seen[Ref{UID: ref.UID, UIDL: ref.UIDL}] {
			continue
		}
		if b.err == nil {
			r.warn("the server did not return message %s; trying again next run", keyOf(ref))
		}
		if ref.UID != 0 && ref.UID < since {
			out = append(out, state.Key{UID: ref.UID})
		}
	}
	return out
}
