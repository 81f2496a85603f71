package state

import (
	"slices"
)

// Folder is the in-memory state of one folder. It is read by the source to find new
// mail (it implements fetch.Known through a small adapter) and changed only through
// the Store, which journals every change first.
type Folder struct {
	Validity uint32
	since    uint32
	retry    map[uint32]struct{}
	above    map[uint32]struct{} // IMAP UIDs > since already handled (crash recovery)
	handled  map[string]struct{} // POP3 UIDLs
	pending  map[Key]struct{}    // delivered, waiting to be deleted on the server
	intents  map[Key]Intent      // journaled, not yet settled
	touched  map[string]struct{} // POP3 UIDLs the server listed in this run
}

func newFolder() *Folder {
	return &Folder{
		retry:   map[uint32]struct{}{},
		above:   map[uint32]struct{}{},
		handled: map[string]struct{}{},
		pending: map[Key]struct{}{},
		intents: map[Key]Intent{},
	}
}

// HandledUIDL reports whether a POP3 message was handled. While a listing is being
// tracked (TrackListing) it also notes that the server still lists it.
func (f *Folder) HandledUIDL(uidl string) bool {
	if f.touched != nil {
		f.touched[uidl] = struct{}{}
	}
	_, ok := f.handled[uidl]
	return ok
}

// HandledUID reports whether an IMAP message was handled.
func (f *Folder) HandledUID(uid uint32) bool {
	if _, retry := f.retry[uid]; retry {
		return false
	}
	_, above := f.above[uid]
	return uid <= f.since || above
}

// TrackListing starts noting which POP3 UIDLs the server lists.
func (f *Folder) TrackListing() { f.touched = map[string]struct{}{} }

// Vanished returns the handled or pending POP3 UIDLs the server did not list since
// TrackListing, and stops tracking.
func (f *Folder) Vanished() []Key {
	var out []Key
	for uidl := range f.handled {
		if _, ok := f.touched[uidl]; !ok {
			out = append(out, Key{UIDL: uidl})
		}
	}
	f.touched = nil
	slices.SortFunc(out, compareKeys)
	return out
}

// Since is the IMAP high-water mark (see fetch.Known).
func (f *Folder) Since() uint32 { return f.since }

// Retry lists the IMAP UIDs ≤ Since not handled yet, ascending.
func (f *Folder) Retry() []uint32 {
	out := make([]uint32, 0, len(f.retry))
	for uid := range f.retry {
		out = append(out, uid)
	}
	slices.Sort(out)
	return out
}

// Intents returns the deliveries an interrupted run left unsettled.
func (f *Folder) Intents() []Intent {
	out := make([]Intent, 0, len(f.intents))
	for _, in := range f.intents {
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Intent) int { return compareKeys(a.Key, b.Key) })
	return out
}

// PendingDeletes returns the delivered messages that still wait for deletion.
func (f *Folder) PendingDeletes() []Key {
	out := make([]Key, 0, len(f.pending))
	for k := range f.pending {
		out = append(out, k)
	}
	slices.SortFunc(out, compareKeys)
	return out
}

// HandledCount is the number of POP3 messages known as handled.
func (f *Folder) HandledCount() int { return len(f.handled) }

func compareKeys(a, b Key) int {
	if a.UID != b.UID {
		if a.UID < b.UID {
			return -1
		}
		return 1
	}
	switch {
	case a.UIDL < b.UIDL:
		return -1
	case a.UIDL > b.UIDL:
		return 1
	}
	return 0
}

// apply changes the folder as a record says. Every operation is idempotent, so
// replaying a record twice (after a crash during compaction) changes nothing.
func (f *Folder) apply(r *record) {
	switch r.Op {
	case opValidity:
		if f.Validity != r.Validity {
			*f = *newFolder()
			f.Validity = r.Validity
		}
	case opIntent:
		for i, k := range r.keys() {
			in := Intent{Key: k, Receipt: r.Receipts[i]}
			if len(r.IDs) > 0 {
				in.ID = r.IDs[i]
			}
			f.intents[k] = in
		}
	case opSettle:
		f.settle(r)
	case opDeleted:
		for _, k := range r.keys() {
			delete(f.pending, k)
		}
	case opForget:
		f.forget(r.keys())
	}
}

func (f *Folder) settle(r *record) {
	since := max(f.since, r.Since)
	for _, k := range r.keys() {
		delete(f.intents, k)
		delete(f.retry, k.UID)
		if k.UIDL != "" {
			f.handled[k.UIDL] = struct{}{}
		} else if k.UID > since {
			f.above[k.UID] = struct{}{}
		}
		if r.Delete {
			f.pending[k] = struct{}{}
		}
	}
	for _, uid := range r.RetryUIDs {
		delete(f.intents, Key{UID: uid})
		delete(f.above, uid)
		if uid <= since {
			f.retry[uid] = struct{}{}
		}
	}
	for _, uidl := range r.RetryUIDLs {
		delete(f.intents, Key{UIDL: uidl})
	}
	if since > f.since {
		f.since = since
		for uid := range f.above {
			if uid <= since {
				delete(f.above, uid)
			}
		}
	}
}

func (f *Folder) forget(keys []Key) {
	for _, k := range keys {
		delete(f.retry, k.UID)
		delete(f.above, k.UID)
		delete(f.handled, k.UIDL)
		delete(f.pending, k)
		delete(f.intents, k)
	}
}
