package mbox

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// Check reports whether the message behind a receipt reached the mbox, from the batch
// records that New settled (see the package documentation).
func (m *Mbox) Check(receipt string) (fetch.Outcome, error) {
	staged, ok := parseReceipt(receipt)
	if !ok {
		return fetch.Unknown, fail.Errorf(fail.Internal, "mbox: malformed receipt %q", receipt)
	}
	m.mu.Lock()
	o, known := m.records[receipt]
	m.mu.Unlock()
	if known {
		return o, nil
	}
	// No record: Publish never started on it. Its spool file may still be there.
	if err := m.spool.Remove(receipt); err != nil {
		return fetch.Unknown, safeio.Classify(err)
	}
	if time.Since(staged) < recordKeep-24*time.Hour {
		return fetch.NotDelivered, nil
	}
	return fetch.Unknown, nil // its record may have expired
}

// recover loads the batch records of this mbox, settles those a crash left open, and
// removes expired records and abandoned spool files.
func (m *Mbox) recover(ctx context.Context) error {
	open, err := m.loadRecords()
	if err != nil {
		return err
	}
	if len(open) > 0 {
		l, err := m.lock(ctx)
		if err != nil {
			return safeio.Classify(err)
		}
		for _, r := range open {
			if err = m.settle(l, r); err != nil {
				break
			}
		}
		l.unlock()
		if err != nil {
			return safeio.Classify(err)
		}
	}
	m.removeStale()
	return nil
}

// loadRecords indexes finished records of this mbox and returns the open ones.
func (m *Mbox) loadRecords() (open []*record, err error) {
	d, err := safeio.OpenDir(m.spool.Path())
	if err != nil {
		return nil, safeio.Classify(err)
	}
	defer d.Close()
	for {
		ents, rerr := d.ReadDir(256)
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), recordSuffix) || !e.Type().IsRegular() {
				continue
			}
			r, err := m.readRecord(e)
			if err != nil {
				return nil, err
			}
			if r == nil {
				continue
			}
			if r.state == "" {
				open = append(open, r)
				continue
			}
			for receipt, o := range r.outcomes() {
				m.records[receipt] = o
			}
		}
		if rerr == io.EOF {
			return open, nil
		}
		if rerr != nil {
			return nil, safeio.Classify(rerr)
		}
	}
}

// readRecord reads one record; it returns nil for another mbox's record and removes an
// expired finished one.
func (m *Mbox) readRecord(e os.DirEntry) (*record, error) {
	f, err := m.spool.Open(e.Name(), os.O_RDONLY, 0)
	if err != nil {
		return nil, safeio.Classify(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, safeio.Classify(err)
	}
	r, err := parseRecord(e.Name(), data)
	if err != nil {
		return nil, fail.Hint(fail.Internal, err, "move the file out of the spool directory")
	}
	if r.path != m.path {
		return nil, nil
	}
	if fi, err := f.Stat(); err == nil && r.state != "" && time.Since(fi.ModTime()) > recordKeep {
		m.spool.Remove(e.Name())
		return nil, nil
	}
	return r, nil
}

// settle decides the outcome of every message of an open record from the mbox itself,
// cuts off a torn tail that is certainly ours, and records the outcome.
func (m *Mbox) settle(l *lock, r *record) error {
	fi, err := l.f.Stat()
	if err != nil {
		return err
	}
	res := map[string]outcome{}
	if dev, ino := identity(fi); dev != r.dev || ino != r.ino {
		for _, msg := range r.msgs {
			res[msg.receipt] = fetch.Unknown // another file now: offsets mean nothing
		}
	} else {
		k := 0
		for ; k < len(r.msgs); k++ {
			if ok, err := present(l.f, r.msgs[k], fi.Size()); err != nil {
				return err
			} else if !ok {
				break
			}
		}
		if k < len(r.msgs) {
			if err := m.cutTorn(l.f, r.msgs[k], fi.Size()); err != nil {
				return err
			}
		}
		if err := l.f.Sync(); err != nil { // a found message must now be durable
			return fmt.Errorf("fsync %s: %w", m.path, err)
		}
		for i, msg := range r.msgs {
			res[msg.receipt] = fetch.NotDelivered
			if i < k {
				res[msg.receipt] = fetch.Delivered
			}
		}
	}
	var b strings.Builder
	for _, msg := range r.msgs {
		b.WriteString("result " + msg.receipt + " " + strconv.Itoa(int(res[msg.receipt])) + "\n")
	}
	b.WriteString("settled\n")
	if err := safeio.AppendRecord(m.spool.Join(r.name), []byte(b.String()), 0o600); err != nil {
		return err
	}
	for _, msg := range r.msgs {
		m.spool.Remove(msg.receipt)
		m.records[msg.receipt] = res[msg.receipt]
	}
	return nil
}

// present reports whether msg's bytes are in the mbox at its offset.
func present(f *os.File, msg recMsg, size int64) (bool, error) {
	if msg.off+msg.size > size {
		return false, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, msg.off, msg.size)); err != nil {
		return false, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return hexSum(h.Sum(nil)) == msg.sum, nil
}

// cutTorn truncates the mbox back to where msg starts if what follows is a strict
// prefix of msg's bytes (compared with its spool file), that is, nothing but our torn
// append. Anything else after that point is left alone.
func (m *Mbox) cutTorn(f *os.File, msg recMsg, size int64) error {
	if size <= msg.off || size >= msg.off+msg.size {
		return nil
	}
	sp, err := m.spool.Open(msg.receipt, os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer sp.Close()
	n := size - msg.off
	same, err := sameBytes(io.NewSectionReader(f, msg.off, n), io.NewSectionReader(sp, 0, n))
	if err != nil || !same {
		return err
	}
	if err := f.Truncate(msg.off); err != nil {
		return fmt.Errorf("truncate torn message in %s: %w", m.path, err)
	}
	return nil
}

// removeStale removes spool files older than spoolStale that no open record needs
// (all records are settled by now). Best effort.
func (m *Mbox) removeStale() {
	d, err := safeio.OpenDir(m.spool.Path())
	if err != nil {
		return
	}
	defer d.Close()
	for {
		ents, err := d.ReadDir(256)
		for _, e := range ents {
			if _, ok := parseReceipt(e.Name()); !ok || !e.Type().IsRegular() {
				continue
			}
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > spoolStale {
				m.spool.Remove(e.Name())
			}
		}
		if err != nil {
			return
		}
	}
}

// VerifiesDelivery marks Mbox as a fetch.Verifier: the batch records let Check tell
// which messages of a batch reached the mbox, so the pipeline may publish whole
// batches. (Check answers Unknown only when the mbox was replaced by another file
// after a crash, or for a receipt older than the records are kept.)
func (m *Mbox) VerifiesDelivery() {}

var _ fetch.Verifier = (*Mbox)(nil)
