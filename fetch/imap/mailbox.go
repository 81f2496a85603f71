package imap

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/handoff"
)

// mailbox is a selected folder.
type mailbox struct {
	s      *Source
	name   string
	data   *imap.SelectData
	delim  rune        // the server's hierarchy separator, 0 if none
	marked imap.UIDSet // flagged \Deleted, to be expunged by Commit
}

// Open selects a folder, read-only (EXAMINE) in keep mode so the server's flags cannot
// change.
func (s *Source) Open(ctx context.Context, folder string) (fetch.Mailbox, error) {
	defer s.busy()()
	s.learnNamespace()
	data, err := s.selectFolder(folder)
	if err != nil {
		return nil, s.folderError(folder, err)
	}
	if data.UIDValidity == 0 {
		return nil, fail.Errorf(fail.Protocol, "the server gave folder %q no UIDVALIDITY", folder)
	}
	s.opts.Log.Debug("IMAP folder selected", "folder", folder, "messages", data.NumMessages,
		"uidvalidity", data.UIDValidity, "uidnext", data.UIDNext)
	return &mailbox{s: s, name: folder, data: data, delim: s.delimiter()}, nil
}

func (s *Source) folderError(folder string, err error) error {
	var ie *imap.Error
	if errors.As(err, &ie) {
		if ie.Code == imap.ResponseCodeNonExistent || ie.Type == imap.StatusResponseTypeNo {
			return fail.Hint(fail.Config, fmt.Errorf("cannot open folder %q: %s", folder, ie.Text),
				"check the name in `folders` (names are case-sensitive except INBOX)")
		}
	}
	return s.cmdError(fmt.Sprintf("select folder %q", folder), err)
}

func (m *mailbox) Validity() uint32 { return m.data.UIDValidity }

// Delim implements fetch.Delimiter.
func (m *mailbox) Delim() rune { return m.delim }

// List asks for Retry ∪ Since+1:* only, so a run with nothing new costs one short
// command whatever the size of the folder (none at all when UIDNEXT shows nothing new).
func (m *mailbox) List(ctx context.Context, known fetch.Known) ([]fetch.Ref, error) {
	since, retry := known.Since(), known.Retry()
	if m.data.NumMessages == 0 ||
		len(retry) == 0 && m.data.UIDNext != 0 && uint32(m.data.UIDNext) <= since+1 {
		return nil, nil
	}
	var set imap.UIDSet
	for _, uid := range retry {
		set.AddNum(imap.UID(uid))
	}
	set.AddRange(imap.UID(since+1), 0) // since+1:*
	defer m.s.busy()()
	cmd := m.s.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true})
	refs, err := m.collectRefs(cmd, set, known)
	if cerr := cmd.Close(); err == nil && cerr != nil {
		err = m.s.cmdError(fmt.Sprintf("list new messages in %q", m.name), cerr)
	}
	return refs, err
}

// refsHint caps the capacity collectRefs reserves for the listing (5 MB of Refs).
const refsHint = 1 << 17

// collectRefs reads the listing, keeping only UIDs asked for and not handled: RFC 9051
// §6.4.4 makes "n:*" also return the last message when its UID is below n. Items are
// read one by one, never collected: a body the server sends unasked is skipped unread
// instead of being held in memory. A UID listed twice is kept once; no set of UIDs is
// built on the way, as a first run on a large folder lists every message.
func (m *mailbox) collectRefs(cmd *imapclient.FetchCommand, set imap.UIDSet, known fetch.Known) ([]fetch.Ref, error) {
	limit := int(m.data.NumMessages) + 1024 // a server cannot make us hold more
	// Sized from EXISTS up front: grown by append, a first run's listing of 100,000
	// messages (4 MB) would hold the old and the new array at each step. The hint is
	// capped, as EXISTS comes from the server.
	refs := make([]fetch.Ref, 0, min(limit, refsHint))
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		ref := fetch.Ref{Size: -1}
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				ref.UID = uint32(it.UID)
			case imapclient.FetchItemDataRFC822Size:
				ref.Size = it.Size
			}
		}
		if ref.UID == 0 || !set.Contains(imap.UID(ref.UID)) || known.Handled(ref) {
			continue
		}
		if refs = append(refs, ref); len(refs) > limit {
			return nil, fail.Errorf(fail.Protocol, "the server listed more messages than %q holds", m.name)
		}
	}
	slices.SortStableFunc(refs, func(a, b fetch.Ref) int { return cmp.Compare(a.UID, b.UID) })
	return slices.CompactFunc(refs, func(a, b fetch.Ref) bool { return a.UID == b.UID }), nil
}

// Fetch streams the messages with one UID FETCH (UID BODY.PEEK[]): the server sends
// them back to back, so there is no round trip per message.
func (m *mailbox) Fetch(ctx context.Context, refs []fetch.Ref, fn func(fetch.Ref, io.Reader) error) error {
	if len(refs) == 0 {
		return nil
	}
	byUID := make(map[uint32]fetch.Ref, len(refs))
	var set imap.UIDSet
	for _, r := range refs {
		byUID[r.UID] = r
		set.AddNum(imap.UID(r.UID))
	}
	defer m.s.busy()()
	stop := context.AfterFunc(ctx, m.s.abort)
	defer stop()
	cmd := m.s.c.Fetch(set, &imap.FetchOptions{UID: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	err := m.stream(cmd, byUID, fn)
	if cerr := cmd.Close(); err == nil && cerr != nil {
		err = m.s.cmdError(fmt.Sprintf("fetch from %q", m.name), cerr)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// stream delivers the messages of the response as they come. The response is read by
// a goroutine of its own, so that reading the next chunk overlaps writing this one
// (package handoff).
func (m *mailbox) stream(cmd *imapclient.FetchCommand, byUID map[uint32]fetch.Ref, fn func(fetch.Ref, io.Reader) error) error {
	h := handoff.New[fetch.Ref]()
	produced := make(chan error, 1)
	go func() {
		produced <- m.produce(cmd, byUID, h)
		h.Close()
	}()
	err := h.Consume(func(hm *handoff.Message[fetch.Ref]) error { return fn(hm.Meta, hm) })
	if perr := <-produced; err == nil && !errors.Is(perr, handoff.ErrStopped) {
		err = perr
	}
	return err
}

// produce reads the FETCH response and hands each asked-for body to the consumer.
func (m *mailbox) produce(cmd *imapclient.FetchCommand, byUID map[uint32]fetch.Ref, h *handoff.Handoff[fetch.Ref]) error {
	lf := &lfReader{}
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var ref fetch.Ref
		var ok bool
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				ref, ok = byUID[uint32(it.UID)]
				delete(byUID, uint32(it.UID)) // a UID sent twice is delivered once
			case imapclient.FetchItemDataBodySection:
				if !ok || it.Literal == nil {
					continue
				}
				body := &exactReader{r: it.Literal, left: it.Literal.Size()}
				lf.reset(body)
				if err := h.Send(ref, lf.next); err != nil {
					return err
				}
				if body.failed {
					// The connection broke inside the message; cmd.Close reports it.
					m.s.awaitDecoder()
					return nil
				}
				ok = false
			}
		}
	}
	return nil
}

// Delete flags the messages \Deleted. Without UIDPLUS it does nothing: the only way to
// remove them would be a bare EXPUNGE, which also removes other clients' \Deleted mail.
func (m *mailbox) Delete(ctx context.Context, refs []fetch.Ref) error {
	if !m.canDelete() {
		return fmt.Errorf("%w: it lacks UIDPLUS (RFC 4315), and a plain EXPUNGE could remove other mail",
			fetch.ErrCannotDelete)
	}
	var set imap.UIDSet
	for _, r := range refs {
		if r.UID != 0 {
			set.AddNum(imap.UID(r.UID))
		}
	}
	if len(set) == 0 {
		return nil
	}
	defer m.s.busy()()
	err := m.s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
		Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	if err != nil {
		return m.s.cmdError(fmt.Sprintf("flag messages deleted in %q", m.name), err)
	}
	m.marked = append(m.marked, set...)
	return nil
}

func (m *mailbox) canDelete() bool {
	caps := m.s.c.Caps()
	return caps.Has(imap.CapUIDPlus) || caps.Has(imap.CapIMAP4rev2)
}

// Commit expunges exactly the flagged UIDs.
func (m *mailbox) Commit(ctx context.Context) error {
	if len(m.marked) == 0 {
		return nil
	}
	defer m.s.busy()()
	if _, err := m.s.c.UIDExpunge(m.marked).Collect(); err != nil {
		return m.s.cmdError(fmt.Sprintf("expunge in %q", m.name), err)
	}
	m.marked = nil
	return nil
}

// exactReader fails with io.ErrUnexpectedEOF when a literal ends before its announced
// size: a message cut short must never look complete (go-imap's literal reader is an
// io.LimitReader, which reports a clean EOF when the connection ends early).
type exactReader struct {
	r      io.Reader
	left   int64
	failed bool // the literal could not be read to its end
}

func (e *exactReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = fmt.Errorf("the message ended %d bytes early: %w", e.left, io.ErrUnexpectedEOF)
	}
	if err != nil && err != io.EOF {
		e.failed = true
	}
	return n, err
}
