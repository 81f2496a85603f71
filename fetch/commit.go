package fetch

import (
	"context"
	"errors"
	"fmt"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// committer makes batches durable, in order, until commits is closed. After a
// failure it stops committing but keeps draining, discarding what was staged; the
// messages are fetched again next run.
//
// A commit error that is not a delivery failure (the state cannot be written), or a
// batch of which nothing could be delivered (the target is broken), stops the run:
// stopFetch tells the fetcher not to download more.
func (r *folderRun) committer(ctx context.Context, commits <-chan *batch, stopFetch func(error)) error {
	var fatal error
	var failed int
	var first error
	for b := range commits {
		if fatal != nil {
			discard(b)
			continue
		}
		fatal = r.commit(ctx, b)
		n, err := batchFailures(b)
		if failed += n; first == nil {
			first = err
		}
		if fatal == nil && n > 0 && r.noProgress(b) {
			fatal = fmt.Errorf("nothing of a batch of %d could be delivered, stopping", len(b.items))
		}
		if fatal != nil {
			stopFetch(fatal)
		}
	}
	if failed > 0 {
		return errors.Join(deliveryError(failed, first), fatal)
	}
	return fatal
}

func discard(b *batch) {
	for _, it := range b.items {
		if it.staged != nil {
			it.staged.Discard()
		}
	}
}

// noProgress is true when no message of a batch could be delivered: the target is
// broken, and fetching more would only waste the network.
func (r *folderRun) noProgress(b *batch) bool {
	for _, it := range b.items {
		if it.err == nil || it.err == errOverLimit {
			return false
		}
	}
	return true
}

// commit journals the batch's intents, publishes it, and journals the outcome:
// the order that lets a crash at any instant be recovered (docs/design.md).
func (r *folderRun) commit(ctx context.Context, b *batch) error {
	r.dropDuplicates(b)
	if _, ok := r.Sink.(Verifier); !ok {
		return r.commitEach(ctx, b)
	}
	staged, intents := r.toPublish(b)
	if err := r.State.Intend(r.fr.Folder, intents); err != nil {
		discard(b)
		return err
	}
	errs := r.Sink.Publish(ctx, staged)
	r.Log.Debug("batch published", "folder", r.fr.Folder, "messages", len(staged))
	j := 0
	for i := range b.items {
		if it := &b.items[i]; it.staged != nil {
			it.err = errs[j]
			j++
		}
	}
	return r.settle(b)
}

// batchFailures counts the messages of a batch that could not be delivered.
func batchFailures(b *batch) (n int, first error) {
	for _, it := range b.items {
		if it.err != nil && it.err != errOverLimit {
			if n++; first == nil {
				first = it.err
			}
		}
	}
	return n, first
}

// dropDuplicates discards staged messages whose Message-ID was delivered before
// (dedupe = "message-id", or a folder whose UIDVALIDITY changed).
func (r *folderRun) dropDuplicates(b *batch) {
	if !r.Dedupe && !r.revalidate {
		return
	}
	for i := range b.items {
		it := &b.items[i]
		if it.staged == nil || it.id == "" || it.keepOrig {
			continue
		}
		_, inRun := r.ids[it.id]
		if inRun || r.State.SeenID(it.id) {
			it.staged.Discard()
			it.staged, it.duplicate = nil, true
			continue
		}
		r.ids[it.id] = struct{}{}
	}
}

func (r *folderRun) toPublish(b *batch) ([]Staged, []state.Intent) {
	var staged []Staged
	var intents []state.Intent
	for _, it := range b.items {
		if it.staged != nil {
			staged = append(staged, it.staged)
			intents = append(intents, intentOf(it))
		}
	}
	return staged, intents
}

func intentOf(it item) state.Intent {
	return state.Intent{Key: keyFor(it.ref), Receipt: it.staged.Receipt(), ID: it.id}
}

func keyFor(ref Ref) state.Key { return state.Key{UID: ref.UID, UIDL: ref.UIDL} }

// commitEach publishes a batch one message at a time, for a sink that cannot tell
// after a crash whether a message arrived: the intent of each message is journaled
// (with the outcome of the one before, in one fsync) only once the one before has
// its outcome, so a crash leaves at most one intent open, and so at most one message
// that may be delivered twice. The batch's settlement then journals the last outcome,
// moves the high-water mark and counts, as for any sink.
func (r *folderRun) commitEach(ctx context.Context, b *batch) error {
	var prev *item // published, its outcome not journaled yet
	for i := range b.items {
		it := &b.items[i]
		if it.staged == nil {
			continue
		}
		if err := ctx.Err(); err != nil { // stopping: the rest waits for the next run
			it.staged.Discard()
			it.staged, it.err = nil, fail.Wrap(fail.Temporary, err)
			continue
		}
		next := []state.Intent{intentOf(*it)}
		var err error
		if prev == nil {
			err = r.State.Intend(r.fr.Folder, next)
		} else {
			err = r.State.SettleAndIntend(r.fr.Folder, r.outcome(*prev), next)
		}
		if err != nil {
			discard(b)
			return err
		}
		it.err = r.Sink.Publish(ctx, []Staged{it.staged})[0]
		it.staged, prev = nil, it // published or failed: nothing left to discard
	}
	return r.settle(b)
}

// outcome is the settlement of one message that was published.
func (r *folderRun) outcome(it item) state.Settlement {
	k := keyFor(it.ref)
	if it.err != nil {
		return state.Settlement{Retry: []state.Key{k}}
	}
	st := state.Settlement{Done: []state.Key{k}, Delete: !r.Keep && !it.keepOrig}
	if it.id != "" && !it.keepOrig && (r.Keep || r.Dedupe) {
		st.IDs = []string{it.id}
	}
	return st
}
