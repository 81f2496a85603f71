package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// memMailbox is an in-memory IMAP-like (uids) or POP3-like (uidls) folder.
type memMailbox struct {
	validity uint32
	msgs     map[uint32][]byte // by UID (POP3: by message number)
	uidls    map[uint32]string // POP3 only
	marked   []Ref
	deleted  []Ref
	failAt   int // Fetch fails after this many messages (0 = never)
	cutAt    int // the cutAt-th message of a Fetch breaks off mid-way (0 = never)
	noDelete bool
	fetches  int
}

func (m *memMailbox) Validity() uint32 { return m.validity }

func (m *memMailbox) sortedUIDs() []uint32 {
	var out []uint32
	for uid := range m.msgs {
		out = append(out, uid)
	}
	slices.Sort(out)
	return out
}

func (m *memMailbox) List(ctx context.Context, known Known) ([]Ref, error) {
	var refs []Ref
	retry := known.Retry()
	for _, uid := range m.sortedUIDs() {
		ref := Ref{Size: int64(len(m.msgs[uid]))}
		if m.validity == 0 {
			ref.UIDL, ref.Num = m.uidls[uid], int(uid)
		} else {
			ref.UID = uid
			if uid <= known.Since() && !slices.Contains(retry, uid) {
				continue
			}
		}
		if !known.Handled(ref) {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

func (m *memMailbox) Fetch(ctx context.Context, refs []Ref, fn func(Ref, io.Reader) error) error {
	for _, ref := range refs {
		if m.failAt > 0 && m.fetches >= m.failAt {
			return errors.New("connection reset")
		}
		m.fetches++
		key := ref.UID
		if m.validity == 0 {
			key = uint32(ref.Num)
		}
		body := bytes.ReplaceAll(m.msgs[key], []byte("\r\n"), []byte("\n"))
		if m.fetches == m.cutAt {
			fn(ref, io.MultiReader(bytes.NewReader(body[:10]), errReader{io.ErrUnexpectedEOF}))
			return errors.New("connection reset")
		}
		if err := fn(ref, bytes.NewReader(body)); err != nil {
			return err
		}
	}
	return nil
}

func (m *memMailbox) Delete(ctx context.Context, refs []Ref) error {
	if m.noDelete {
		return fmt.Errorf("no UIDPLUS: %w", ErrCannotDelete)
	}
	m.marked = append(m.marked, refs...)
	return nil
}

func (m *memMailbox) Commit(ctx context.Context) error {
	for _, ref := range m.marked {
		for k, uidl := range m.uidls {
			if ref.UIDL != "" && uidl == ref.UIDL {
				delete(m.msgs, k)
			}
		}
		if ref.UID != 0 {
			delete(m.msgs, ref.UID)
		}
	}
	m.deleted = append(m.deleted, m.marked...)
	m.marked = nil
	return nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type memSource struct{ boxes map[string]*memMailbox }

func (s *memSource) Open(ctx context.Context, name string) (Mailbox, error) {
	if b, ok := s.boxes[name]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("no folder %q", name)
}
func (s *memSource) Close() error { return nil }

// memSink delivers into a map, with a "disk" that survives simulated crashes.
type memSink struct {
	mu        sync.Mutex
	delivered map[string][]byte // receipt → bytes
	n         int
	failNext  map[string]error // by message body prefix
	published int
	blind     bool            // Check answers Unknown, like an MDA
	lenient   bool            // Stage ignores read errors (a sink must not, but if one did...)
	onPublish func(total int) // called after each message delivered
}

// verified marks a memSink as a Verifier: it gets whole batches.
type verified struct{ *memSink }

func (verified) VerifiesDelivery() {}

type memStaged struct {
	s       *memSink
	receipt string
	data    []byte
}

func (m *memStaged) Receipt() string { return m.receipt }
func (m *memStaged) Discard() error  { return nil }

func (s *memSink) Stage(ctx context.Context, env *Envelope, body io.Reader) (Staged, error) {
	data, err := io.ReadAll(body)
	if err != nil && !s.lenient {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return &memStaged{s: s, receipt: fmt.Sprintf("r%d", s.n), data: data}, nil
}

func (s *memSink) Publish(ctx context.Context, batch []Staged) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	errs := make([]error, len(batch))
	for i, st := range batch {
		ms := st.(*memStaged)
		for prefix, err := range s.failNext {
			if bytes.HasPrefix(ms.data, []byte(prefix)) {
				errs[i] = err
			}
		}
		if errs[i] == nil {
			s.delivered[ms.receipt] = ms.data
			s.published++
			if s.onPublish != nil {
				s.onPublish(s.published)
			}
		}
	}
	return errs
}

// copies counts the deliveries of each message body.
func (s *memSink) copies() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := map[string]int{}
	for _, b := range s.delivered {
		n[string(b)]++
	}
	return n
}

func (s *memSink) Check(receipt string) (Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blind {
		return Unknown, nil
	}
	if _, ok := s.delivered[receipt]; ok {
		return Delivered, nil
	}
	return NotDelivered, nil
}
