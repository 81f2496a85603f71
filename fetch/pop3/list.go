package pop3

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// List returns, in server order, the messages whose UIDL known has not handled, with
// their LIST sizes.
//
// A unique-id that breaks RFC 1939 §7 (1 to 70 characters 0x21–0x7E) or repeats an
// earlier one cannot be a key in the state, so that message is skipped with a warning
// (it stays on the server, untouched) rather than stopping the whole mailbox.
//
// A server without UIDL is refused with a fail.Protocol error, unless Options.NoUIDL
// is "fetch-all-and-delete": then every message is listed under a synthetic key
// unique to this session, whatever known says, and the caller must delete each
// message once delivered (keep = false).
func (s *Source) List(ctx context.Context, known fetch.Known) ([]fetch.Ref, error) {
	defer s.watch(ctx)()
	entries, err := s.listing()
	if err != nil {
		return nil, s.ctxErr(ctx, err)
	}
	sizes, err := s.c.List()
	if err != nil {
		return nil, s.ctxErr(ctx, err)
	}
	size := make(map[int]int64, len(sizes))
	for _, e := range sizes {
		size[e.Num] = e.Size
	}
	var refs []fetch.Ref
	for _, e := range entries {
		sz, ok := size[e.Num]
		if !ok {
			sz = -1
		}
		ref := fetch.Ref{UIDL: e.UIDL, Num: e.Num, Size: sz}
		if known == nil || s.c.opts.NoUIDL == noUIDLFetchAll || !known.Handled(ref) {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

const noUIDLFetchAll = "fetch-all-and-delete"

// listing gets the unique-id listing once per session and indexes it by key.
func (s *Source) listing() ([]Entry, error) {
	entries, err := s.c.UIDL()
	var perr *Error
	if errors.As(err, &perr) {
		entries, err = s.noUIDL(perr)
	}
	if err != nil {
		return nil, err
	}
	s.byKey = make(map[string]int, len(entries))
	kept := entries[:0]
	for _, e := range entries {
		if reason := s.check(e); reason != "" {
			s.c.log.Warn("pop3: skipping a message; it stays on the server",
				"message", e.Num, "uidl", clean([]byte(e.UIDL)), "reason", reason)
			continue
		}
		s.byKey[e.UIDL] = e.Num
		kept = append(kept, e)
	}
	return kept, nil
}

// check returns why e cannot be fetched, or "".
func (s *Source) check(e Entry) string {
	if !validUIDL(e.UIDL) {
		return "its unique-id is not 1 to 70 printable ASCII characters (RFC 1939 §7)"
	}
	if _, dup := s.byKey[e.UIDL]; dup {
		return "its unique-id repeats another message's"
	}
	return ""
}

// validUIDL reports whether uid is 1 to 70 characters in 0x21..0x7E (RFC 1939 §7).
func validUIDL(uid string) bool {
	if len(uid) < 1 || len(uid) > 70 {
		return false
	}
	for i := 0; i < len(uid); i++ {
		if uid[i] < 0x21 || uid[i] > 0x7e {
			return false
		}
	}
	return true
}

// noUIDL handles a server that refused UIDL: a protocol error, or synthetic keys.
func (s *Source) noUIDL(refusal *Error) ([]Entry, error) {
	if s.c.opts.NoUIDL != noUIDLFetchAll {
		return nil, fail.Hint(fail.Protocol, fmt.Errorf("the server has no UIDL, so new mail cannot be told from old: %w", refusal),
			`set pop3_no_uidl = "fetch-all-and-delete" and keep = false to fetch and delete every message`)
	}
	list, err := s.c.List()
	if err != nil {
		return nil, err
	}
	// The key must never match an earlier session's, because message numbers restart
	// at 1; it stays the same within this session, so refs from List keep working.
	if s.session == "" {
		s.session = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	for i := range list {
		list[i].UIDL = "nouidl-" + s.session + "-" + strconv.Itoa(list[i].Num)
	}
	return list, nil
}

// resolve finds refs in the listing and returns them with their message numbers. A
// ref whose UIDL is not listed is reported in missing; a ref whose Num contradicts the
// listing is refused, because acting on it could touch the wrong message.
func (s *Source) resolve(refs []fetch.Ref) (found []fetch.Ref, missing []error, err error) {
	if s.byKey == nil {
		if _, err := s.listing(); err != nil {
			return nil, nil, err
		}
	}
	for _, r := range refs {
		n, ok := s.byKey[r.UIDL]
		switch {
		case !ok:
			missing = append(missing, fail.Errorf(fail.Temporary, "UIDL %q is not on the server", clean([]byte(r.UIDL))))
		case r.Num != 0 && r.Num != n:
			return nil, nil, fail.Errorf(fail.Internal, "pop3: ref UIDL %s says message %d, the server says %d", r.UIDL, r.Num, n)
		default:
			r.Num = n
			found = append(found, r)
		}
	}
	return found, missing, nil
}

// nums returns the message numbers of refs.
func nums(refs []fetch.Ref) []int {
	out := make([]int, len(refs))
	for i, r := range refs {
		out[i] = r.Num
	}
	return out
}
