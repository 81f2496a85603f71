package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// item is one message of a batch on its way through the pipeline.
type item struct {
	ref       Ref
	staged    Staged // nil unless staged for publishing
	id        string // Message-ID hash, "" if none
	duplicate bool   // handled without delivery: its Message-ID was delivered before
	keepOrig  bool   // a placeholder was delivered; the original stays on the server
	from      string // From: header, for FolderReport.Senders
	err       error  // not staged: retry next run
	bytes     int64
}

// batch is a group of messages made durable together (group commit): one journal
// record of intents, one Publish (the sink makes the files durable together and
// fsyncs the directory once), one settlement record.
type batch struct {
	refs  []Ref  // what was asked for, in order
	items []item // what was processed, in the order the server sent it
	err   error  // why the fetch of the batch stopped early, or nil
}

// fetchAll fetches refs in batches. Batch k is committed by a second goroutine while
// batch k+1 streams in, so disk and network work overlap.
func (r *folderRun) fetchAll(ctx context.Context, refs []Ref) error {
	fctx, stopFetch := context.WithCancelCause(ctx)
	defer stopFetch(nil)
	commits := make(chan *batch, 1)
	result := make(chan error, 1)
	go func() { result <- r.committer(ctx, commits, stopFetch) }()

	var fetchErr error
	total := len(refs)
	for len(refs) > 0 && fetchErr == nil && fctx.Err() == nil {
		b := &batch{refs: r.nextBatch(&refs)}
		fetchErr = r.fetchBatch(fctx, b, total)
		b.err = fetchErr
		commits <- b
	}
	close(commits)
	commitErr := <-result
	if ctx.Err() == nil && fctx.Err() != nil {
		fetchErr = nil // the committer stopped the fetch and reports why
	}
	return errors.Join(fetchErr, commitErr)
}

// nextBatch cuts the next batch off refs, bounded in messages and announced bytes.
func (r *folderRun) nextBatch(refs *[]Ref) []Ref {
	var n int
	var bytes int64
	for n < len(*refs) && n < r.BatchMessages && (n == 0 || bytes+(*refs)[n].Size <= r.BatchBytes) {
		bytes += max((*refs)[n].Size, 0)
		n++
	}
	out := (*refs)[:n:n]
	*refs = (*refs)[n:]
	return out
}

// fetchBatch streams a batch into the sink. Messages over the size limit are not
// fetched at all.
func (r *folderRun) fetchBatch(ctx context.Context, b *batch, total int) error {
	var want []Ref
	for _, ref := range b.refs {
		if it, handled := r.overLimit(ctx, ref); handled {
			b.items = append(b.items, it)
		} else {
			want = append(want, ref)
		}
	}
	if len(want) == 0 {
		return nil
	}
	return r.mb.Fetch(ctx, want, func(ref Ref, body io.Reader) error {
		it := r.stage(ctx, ref, body)
		b.items = append(b.items, it)
		r.fetched++
		r.fetchedBytes += it.bytes
		r.Progress(Progress{Account: r.Account, Folder: r.fr.Folder, Total: total,
			Messages: r.fetched, Bytes: r.fetchedBytes})
		return nil
	})
}

// stage copies one message into the sink, noting its Message-ID on the way. With a
// size limit, a message larger than the limit is refused while it streams: the size
// the server announced may be a lie.
func (r *folderRun) stage(ctx context.Context, ref Ref, body io.Reader) item {
	env := r.Envelope
	env.Folder, env.Ref = r.fr.Folder, ref
	if d, ok := r.mb.(Delimiter); ok {
		env.Delim = d.Delim()
	}
	if n, ok := r.mb.(Namespacer); ok {
		env.Prefix = n.Prefix()
	}
	if r.Limit > 0 && r.LimitAction != LimitFetch {
		body = &capReader{r: body, left: r.Limit}
	}
	sn := newSniffer(body)
	staged, err := r.Sink.Stage(ctx, &env, sn)
	if errors.Is(err, errGrew) || errors.Is(sn.err, errGrew) {
		if err == nil {
			staged.Discard()
		}
		r.warn("message %s announced %d bytes but is larger than the limit of %d: left on the server",
			keyOf(ref), ref.Size, r.Limit)
		return item{ref: ref, err: errOverLimit, bytes: -1}
	}
	if sn.err != nil {
		// The connection broke mid-message. Say so rather than what the sink made of
		// it, and never publish what was read (a sink that kept it would be wrong).
		if err == nil {
			staged.Discard()
		}
		err = fail.Wrap(fail.Temporary, fmt.Errorf("message %s: reading it from the server: %w", keyOf(ref), sn.err))
		return item{ref: ref, err: err}
	}
	if err != nil {
		return item{ref: ref, err: fmt.Errorf("message %s: %w", keyOf(ref), err)}
	}
	return item{ref: ref, staged: staged, id: state.MessageID(sn.header("Message-Id")), bytes: sn.n,
		from: sn.header("From")}
}

// errGrew is returned by capReader.
var errGrew = errors.New("the message is larger than the size limit")

// capReader fails once more than left bytes were read.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, errGrew
	}
	n, err := c.r.Read(p[:min(int64(len(p)), c.left+1)])
	if c.left -= int64(n); c.left < 0 {
		return n, errGrew
	}
	return n, err
}

// overLimit applies the size limit before a message is fetched.
func (r *folderRun) overLimit(ctx context.Context, ref Ref) (item, bool) {
	if r.Limit <= 0 || ref.Size <= r.Limit || r.LimitAction == LimitFetch {
		if r.Limit > 0 && ref.Size > r.Limit {
			r.warn("message %s has %d bytes, over the limit of %d; fetching it anyway", keyOf(ref), ref.Size, r.Limit)
		}
		return item{}, false
	}
	if r.LimitAction == LimitSkip {
		r.warn("message %s has %d bytes, over the limit of %d: left on the server", keyOf(ref), ref.Size, r.Limit)
		return item{ref: ref, err: errOverLimit, bytes: -1}, true
	}
	it := r.stage(ctx, ref, placeholder(r.Envelope, r.fr.Folder, ref, r.Limit))
	it.keepOrig = true
	return it, true
}

var errOverLimit = errors.New("over the size limit")

func keyOf(ref Ref) string {
	if ref.UIDL != "" {
		return "UIDL " + ref.UIDL
	}
	return fmt.Sprintf("UID %d", ref.UID)
}

// deliveryError classifies a delivery failure for the folder's error.
func deliveryError(n int, first error) error {
	kind := fail.KindOf(first)
	if kind == fail.Internal {
		kind = fail.Delivery
	}
	return fail.Wrap(kind, fmt.Errorf("%d messages not delivered, kept on the server: %w", n, first))
}
