package fetch

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fetchsecure/fetchsecure/internal/state"
)

// folder runs the pipeline for one folder: recover, list, fetch and commit in
// batches, then delete.
func (j *Job) folder(ctx context.Context, src Source, fr *FolderReport, remaining *int) error {
	mb, err := src.Open(ctx, fr.Folder)
	if err != nil {
		return err
	}
	run := &folderRun{Job: j, mb: mb, fr: fr, ids: map[string]struct{}{}}
	if err := run.validity(); err != nil {
		return err
	}
	if err := run.recover(); err != nil {
		return err
	}
	refs, err := run.list(ctx)
	if err != nil {
		return err
	}
	if j.Seed {
		return run.seed(refs)
	}
	refs = run.limitCount(refs, remaining)
	err = run.fetchAll(ctx, refs)
	if derr := run.deletePending(ctx); err == nil {
		err = derr
	}
	return err
}

// folderRun is the state of one folder's pass through the pipeline.
type folderRun struct {
	*Job
	mb         Mailbox
	fr         *FolderReport
	f          *state.Folder
	revalidate bool                // UIDVALIDITY changed: recognise old mail by Message-ID
	ids        map[string]struct{} // Message-IDs delivered in this run (committer only)

	fetched      int // messages and bytes streamed so far (fetcher goroutine only)
	fetchedBytes int64

	mu sync.Mutex // guards fr.Warnings, written by both goroutines
}

func (r *folderRun) pop3() bool { return r.mb.Validity() == 0 }

func (r *folderRun) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.fr.Warnings = append(r.fr.Warnings, msg)
	r.mu.Unlock()
	r.Log.Warn(msg, "folder", r.fr.Folder)
}

// validity notices a changed UIDVALIDITY (RFC 9051 §2.3.1.1): every UID the state
// knows is void. Messages are fetched again, and those whose Message-ID was delivered
// before are recognised and not delivered twice.
func (r *folderRun) validity() error {
	old, changed, err := r.State.SetValidity(r.fr.Folder, r.mb.Validity())
	if err != nil {
		return err
	}
	r.f = r.State.Folder(r.fr.Folder)
	if changed {
		r.revalidate = true
		r.warn("UIDVALIDITY changed from %d to %d: the server renumbered the folder; "+
			"checking every message against the Message-IDs delivered before", old, r.mb.Validity())
	}
	return nil
}

// recover settles the deliveries an interrupted run journaled but did not settle:
// those the sink finds are done (and deleted on the server in delete mode), the others
// are fetched and delivered again. A sink that cannot tell (Unknown: an MDA, an LMTP
// or SMTP server) may have the message already; the warning goes out before the
// settlement is journaled, so a crash in between repeats it rather than losing it.
func (r *folderRun) recover() error {
	st := state.Settlement{Delete: !r.Keep}
	for _, in := range r.f.Intents() {
		outcome, err := r.Sink.Check(in.Receipt)
		if err != nil {
			return fmt.Errorf("check interrupted delivery of message %s: %w", in.Key, err)
		}
		switch outcome {
		case Delivered:
			st.Done = append(st.Done, in.Key)
			if in.ID != "" && (r.Keep || r.Dedupe) {
				st.IDs = append(st.IDs, in.ID)
			}
		case Unknown:
			r.fr.Doubtful++
			r.warn("message %s may have been delivered twice: an interrupted run handed it to "+
				"the target, which cannot be asked whether it arrived, so it is delivered again", keyName(in.Key))
			fallthrough
		default:
			st.Retry = append(st.Retry, in.Key)
		}
	}
	if len(st.Done)+len(st.Retry) == 0 {
		return nil
	}
	r.fr.Recovered = len(st.Done)
	r.Log.Info("settled deliveries of an interrupted run", "folder", r.fr.Folder, "delivered", len(st.Done), "to_redo", len(st.Retry))
	// Retried IMAP UIDs lie above the high-water mark (their batch never settled), so
	// the listing finds them again.
	return r.State.Settle(r.fr.Folder, st)
}

// keyName names a journaled message as keyOf names a listed one.
func keyName(k state.Key) string { return keyOf(Ref{UID: k.UID, UIDL: k.UIDL}) }

// list asks the server for the messages the state has not handled, and forgets what
// the server no longer has.
func (r *folderRun) list(ctx context.Context) ([]Ref, error) {
	if r.pop3() {
		r.f.TrackListing()
	}
	refs, err := r.mb.List(ctx, known{r.f})
	if err != nil {
		return nil, err
	}
	r.fr.New = len(refs)
	r.Log.Debug("listed new messages", "folder", r.fr.Folder, "new", len(refs),
		"since", r.f.Since(), "retry", len(r.f.Retry()))
	var gone []state.Key
	if r.pop3() {
		gone = r.f.Vanished()
	} else {
		listed := map[uint32]bool{}
		for _, ref := range refs {
			listed[ref.UID] = true
		}
		for _, uid := range r.f.Retry() {
			if !listed[uid] {
				gone = append(gone, state.Key{UID: uid})
			}
		}
	}
	return refs, r.State.Forget(r.fr.Folder, gone)
}

// seed records refs as handled without delivering them, and without deleting them:
// Delete is false, so keep = false applies only to mail fetched from now on.
func (r *folderRun) seed(refs []Ref) error {
	st := state.Settlement{}
	for _, ref := range refs {
		st.Done = append(st.Done, keyFor(ref))
		st.Since = max(st.Since, ref.UID)
	}
	r.fr.Seeded = len(refs)
	return r.State.Settle(r.fr.Folder, st)
}

// limitCount applies max_messages.
func (r *folderRun) limitCount(refs []Ref, remaining *int) []Ref {
	if r.MaxMessages <= 0 {
		return refs
	}
	if len(refs) > *remaining {
		r.warn("%d new messages, fetching %d in this run (max_messages)", len(refs), *remaining)
		refs = refs[:*remaining]
	}
	*remaining -= len(refs)
	return refs
}

// deletePending deletes on the server every delivered message that waits for it:
// those of this run and those an earlier run could not delete.
func (r *folderRun) deletePending(ctx context.Context) error {
	keys := r.f.PendingDeletes()
	if len(keys) == 0 {
		return nil
	}
	if r.Keep {
		// keep = true now, but an earlier run delivered these with keep = false:
		// the user changed their mind, so they are no longer to be deleted.
		return r.State.Deleted(r.fr.Folder, keys)
	}
	if ctx.Err() != nil {
		return nil // the next run deletes them
	}
	refs := make([]Ref, len(keys))
	for i, k := range keys {
		refs[i] = Ref{UID: k.UID, UIDL: k.UIDL, Size: -1}
	}
	r.Log.Debug("deleting delivered messages", "folder", r.fr.Folder, "count", len(refs))
	err := r.mb.Delete(ctx, refs)
	if err == nil {
		err = r.mb.Commit(ctx)
	}
	if errors.Is(err, ErrCannotDelete) {
		r.warn("%d delivered messages stay on the server: %v", len(keys), err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete delivered messages: %w", err)
	}
	r.fr.Deleted = len(keys)
	return r.State.Deleted(r.fr.Folder, keys)
}

// known adapts a state folder to the Known contract.
type known struct{ f *state.Folder }

func (k known) Handled(ref Ref) bool {
	if ref.UIDL != "" {
		return k.f.HandledUIDL(ref.UIDL)
	}
	return k.f.HandledUID(ref.UID)
}
func (k known) Since() uint32   { return k.f.Since() }
func (k known) Retry() []uint32 { return k.f.Retry() }
