package pop3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/handoff"
)

// Source is one authenticated POP3 session as a fetch.Source, and its only folder,
// "INBOX", as a fetch.Mailbox (Open returns the Source itself).
//
// Deletions become final only when Commit's QUIT is answered +OK. Close without
// Commit drops the connection without QUIT: RFC 1939 §6 says a session that ends
// without QUIT never enters the UPDATE state, so the server deletes nothing even if
// DELE was sent. RSET then QUIT would be politer, but it would stake every undelivered
// message on RSET having been received and honoured; dropping the connection cannot
// delete anything.
type Source struct {
	c         *Client
	byKey     map[string]int // UIDL (or synthetic key) → message number, once listed
	session   string         // nonce of the synthetic keys (Options.NoUIDL)
	committed bool
}

// NewSource wraps a logged-in client.
func NewSource(c *Client) *Source {
	return &Source{c: c}
}

var (
	_ fetch.Source  = (*Source)(nil)
	_ fetch.Mailbox = (*Source)(nil)
)

// Open returns the mailbox; POP3 has exactly one, INBOX.
func (s *Source) Open(ctx context.Context, folder string) (fetch.Mailbox, error) {
	if !strings.EqualFold(folder, "INBOX") {
		return nil, fail.Hint(fail.Config, fmt.Errorf("pop3 has no folder %q, only INBOX", folder),
			"remove folders from this POP3 account")
	}
	if !s.c.authed {
		return nil, fail.Errorf(fail.Internal, "pop3: Open before Login")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close ends the session: after Commit the connection is already closed; otherwise
// it is dropped without QUIT, so the server deletes nothing.
func (s *Source) Close() error {
	if s.committed {
		return nil
	}
	s.c.fatal(errors.New("the session was closed"))
	return nil
}

// Validity is 0: POP3 has no UIDVALIDITY.
func (s *Source) Validity() uint32 { return 0 }

// Fetch streams the messages refs, pipelined, to fn. Each ref is found by its UIDL
// in this session's listing, so a stale Num can never fetch another message. Messages
// the server no longer has, or refused, are reported together after the others.
func (s *Source) Fetch(ctx context.Context, refs []fetch.Ref, fn func(fetch.Ref, io.Reader) error) error {
	defer s.watch(ctx)()
	found, missing, err := s.resolve(refs)
	if err != nil {
		return s.ctxErr(ctx, err)
	}
	byNum := make(map[int]fetch.Ref, len(found))
	for _, r := range found {
		byNum[r.Num] = r
	}
	// The replies are read by a goroutine of its own, so that reading the next chunk
	// overlaps writing this one (package handoff).
	h := handoff.New[fetch.Ref]()
	var refused []error
	produced := make(chan error, 1)
	go func() {
		produced <- s.c.RetrEach(nums(found), func(n int, r io.Reader, rerr error) error {
			if rerr != nil {
				refused = append(refused, fmt.Errorf("message %d (UIDL %s): %w", n, byNum[n].UIDL, rerr))
				return nil
			}
			return h.Send(byNum[n], handoff.FillFrom(r))
		})
		h.Close()
	}()
	err = h.Consume(func(m *handoff.Message[fetch.Ref]) error { return fn(m.Meta, m) })
	if perr := <-produced; err == nil && !errors.Is(perr, handoff.ErrStopped) {
		err = perr
	}
	if err != nil {
		return s.ctxErr(ctx, err)
	}
	return notReturned(append(missing, refused...))
}

// notReturned joins the reasons messages were not returned into one error.
func notReturned(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	kind := fail.KindOf(errs[0])
	if kind == fail.Internal {
		kind = fail.Temporary
	}
	return fail.Wrap(kind, fmt.Errorf("the server did not return %d message(s): %w", len(errs), errors.Join(errs...)))
}

// Delete marks refs for deletion (pipelined DELE); they are gone once Commit returns
// nil. Refs are found by UIDL: one the server no longer lists is skipped (there is
// nothing left to delete), and one whose Num disagrees with the listing is refused.
func (s *Source) Delete(ctx context.Context, refs []fetch.Ref) error {
	defer s.watch(ctx)()
	found, _, err := s.resolve(refs)
	if err != nil {
		return s.ctxErr(ctx, err)
	}
	return s.ctxErr(ctx, s.c.DeleAll(nums(found)))
}

// Commit sends QUIT; the deletions are final only when it returns nil. The session is
// over afterwards. A session that failed earlier is not committed: it is dropped, and
// the server deletes nothing.
func (s *Source) Commit(ctx context.Context) error {
	defer s.watch(ctx)()
	if s.committed {
		return fail.Errorf(fail.Internal, "pop3: Commit called twice; the session is over")
	}
	if err := s.c.usable(); err != nil {
		return fmt.Errorf("nothing was deleted on the server: %w", err)
	}
	s.committed = true
	if err := s.c.Quit(); err != nil {
		return s.ctxErr(ctx, fmt.Errorf("commit deletions: %w", err))
	}
	return nil
}

// watch drops the connection when ctx is cancelled, so that a blocked read returns;
// call the result to stop watching.
func (s *Source) watch(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { s.c.conn.Close() })
}

// ctxErr reports a cancelled context as the cause of err.
func (s *Source) ctxErr(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	s.c.fatal(context.Cause(ctx))
	return fmt.Errorf("pop3 session interrupted: %w", context.Cause(ctx))
}
