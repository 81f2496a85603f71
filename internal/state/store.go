package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// Store is the state of one account. Its methods are safe for concurrent use.
type Store struct {
	dir string

	mu       sync.Mutex
	folders  map[string]*Folder
	ids      idSet // Message-ID hashes of delivered messages
	gen      uint64
	journal  *os.File
	jsize    int64 // bytes in the journal
	snapsize int64 // bytes in the snapshot it follows
}

// Open loads the state of the account whose directory is dir (see AccountDir),
// creating it if needed, and cuts off a record torn by a crash.
func Open(dir string) (*Store, error) {
	if err := mkdir(dir); err != nil {
		return nil, err
	}
	s := &Store{dir: dir, folders: map[string]*Folder{}, ids: idSet{}}
	if err := s.loadSnapshot(); err != nil {
		return nil, err
	}
	if err := s.openJournal(); err != nil {
		return nil, err
	}
	s.removeStale()
	return s, nil
}

func (s *Store) journalPath(gen uint64) string {
	return filepath.Join(s.dir, "journal."+strconv.FormatUint(gen, 10))
}

func (s *Store) openJournal() error {
	f, err := os.OpenFile(s.journalPath(s.gen), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("open state journal: %w", err)
	}
	good, err := replay(f, s.apply)
	if err != nil {
		f.Close()
		return fail.Hint(fail.Internal, fmt.Errorf("state of %s is damaged: %w", s.dir, err),
			"move the directory aside to start over; messages kept on the server may be delivered again")
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return fmt.Errorf("cut torn record off the state journal: %w", err)
	}
	if _, err := f.Seek(good, 0); err != nil {
		f.Close()
		return err
	}
	s.journal, s.jsize = f, good
	return nil
}

// removeStale deletes journals of older generations left by a crash during compaction.
func (s *Store) removeStale() {
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		g, ok := strings.CutPrefix(e.Name(), "journal.")
		if n, err := strconv.ParseUint(g, 10, 64); ok && err == nil && n != s.gen {
			os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}

func (s *Store) apply(r *record) {
	if r.Op == opIDs {
		s.ids.add(r.IDs)
		return
	}
	f := s.folders[r.Folder]
	if f == nil {
		f = newFolder()
		s.folders[r.Folder] = f
	}
	f.apply(r)
	if r.Op == opSettle {
		s.ids.add(r.IDs)
	}
}

// write journals records durably with one fsync, then applies them in memory. A
// crash in the middle leaves a prefix of them (the torn last line is cut off on open).
func (s *Store) write(rs ...*record) error {
	var line []byte
	for _, r := range rs {
		l, err := encodeRecord(r)
		if err != nil {
			return err
		}
		line = append(line, l...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		return errors.New("state is closed")
	}
	if _, err := s.journal.Write(line); err != nil {
		return fmt.Errorf("write state journal: %w", err)
	}
	if err := s.journal.Sync(); err != nil {
		return fmt.Errorf("fsync state journal: %w", err)
	}
	s.jsize += int64(len(line))
	for _, r := range rs {
		s.apply(r)
	}
	return nil
}

// Folder returns the state of a folder (empty if never seen). The caller must not
// use it concurrently with Store methods that change the same folder.
func (s *Store) Folder(name string) *Folder {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.folders[name]
	if f == nil {
		f = newFolder()
		s.folders[name] = f
	}
	return f
}

// SetValidity records the folder's UIDVALIDITY. If it differs from the one known,
// everything known about the folder is dropped (its UIDs mean nothing any more) and
// the old value is returned with changed = true.
func (s *Store) SetValidity(folder string, v uint32) (old uint32, changed bool, err error) {
	old = s.Folder(folder).Validity
	if old == v {
		return old, false, nil
	}
	return old, old != 0, s.write(&record{Op: opValidity, Folder: folder, Validity: v})
}

// Intend journals deliveries about to be published.
func (s *Store) Intend(folder string, intents []Intent) error {
	if len(intents) == 0 {
		return nil
	}
	return s.write(intentRecord(folder, intents))
}

// SettleAndIntend journals the outcome of one delivery and the intent of the next with
// one fsync: a sink published one message at a time costs one fsync per message.
func (s *Store) SettleAndIntend(folder string, st Settlement, next []Intent) error {
	return s.write(settleRecord(folder, st), intentRecord(folder, next))
}

func intentRecord(folder string, intents []Intent) *record {
	r := &record{Op: opIntent, Folder: folder}
	keys := make([]Key, len(intents))
	for i, in := range intents {
		keys[i] = in.Key
	}
	r.setKeys(keys)
	// setKeys groups UIDs before UIDLs; a batch holds only one kind, so the receipts
	// and Message-IDs stay in order.
	var ids bool
	for _, in := range intents {
		r.Receipts = append(r.Receipts, in.Receipt)
		r.IDs = append(r.IDs, in.ID)
		ids = ids || in.ID != ""
	}
	if !ids {
		r.IDs = nil
	}
	return r
}

// Settle journals the outcome of a batch.
func (s *Store) Settle(folder string, st Settlement) error {
	return s.write(settleRecord(folder, st))
}

func settleRecord(folder string, st Settlement) *record {
	r := &record{Op: opSettle, Folder: folder, Since: st.Since, Delete: st.Delete, IDs: st.IDs}
	r.setKeys(st.Done)
	for _, k := range st.Retry {
		if k.UIDL != "" {
			r.RetryUIDLs = append(r.RetryUIDLs, k.UIDL)
		} else {
			r.RetryUIDs = append(r.RetryUIDs, k.UID)
		}
	}
	return r
}

// Deleted journals deletions the server confirmed.
func (s *Store) Deleted(folder string, keys []Key) error {
	if len(keys) == 0 {
		return nil
	}
	r := &record{Op: opDeleted, Folder: folder}
	r.setKeys(keys)
	return s.write(r)
}

// Forget drops keys the server no longer has.
func (s *Store) Forget(folder string, keys []Key) error {
	if len(keys) == 0 {
		return nil
	}
	r := &record{Op: opForget, Folder: folder}
	r.setKeys(keys)
	return s.write(r)
}

// SeenID reports whether a message with this Message-ID hash was delivered before from
// this account.
func (s *Store) SeenID(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids.has(id)
}

// Close compacts the state if the journal has grown past the snapshot, and releases it.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		return nil
	}
	var err error
	if s.jsize > 64<<10 && s.jsize > s.snapsize/2 {
		err = s.compact()
	}
	if cerr := s.journal.Close(); err == nil {
		err = cerr
	}
	s.journal = nil
	return err
}

type snapshot struct {
	Version int                        `json:"version"`
	Gen     uint64                     `json:"gen"` // the journal generation that follows
	Folders map[string]*folderSnapshot `json:"folders"`
	IDs     []string                   `json:"ids,omitempty"`     // version 1
	IDBlob  string                     `json:"id_blob,omitempty"` // hex of 8-byte hashes
}

func (s *Store) loadSnapshot() error {
	b, err := os.ReadFile(filepath.Join(s.dir, "snapshot"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state snapshot: %w", err)
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil || snap.Version != 1 {
		return fail.Hint(fail.Internal, fmt.Errorf("state snapshot in %s is damaged or of an unknown version", s.dir),
			"move the directory aside to start over; messages kept on the server may be delivered again")
	}
	s.gen, s.snapsize = snap.Gen, int64(len(b))
	for name, fs := range snap.Folders {
		s.folders[name] = fs.folder()
	}
	s.ids.add(snap.IDs)
	if err := s.ids.decode(snap.IDBlob); err != nil {
		return fail.Hint(fail.Internal, fmt.Errorf("state snapshot in %s: %w", s.dir, err),
			"move the directory aside to start over; messages kept on the server may be delivered again")
	}
	return nil
}

// compact writes a snapshot of everything in memory that starts a new journal
// generation, then removes the old journal. A crash in between leaves either the old
// snapshot with the old journal, or the new snapshot with an empty new journal.
func (s *Store) compact() error {
	snap := snapshot{Version: 1, Gen: s.gen + 1, Folders: map[string]*folderSnapshot{}}
	for name, f := range s.folders {
		snap.Folders[name] = f.snapshot()
	}
	snap.IDBlob = s.ids.encode()
	b, err := json.Marshal(&snap)
	if err != nil {
		return err
	}
	if err := safeio.WriteFile(filepath.Join(s.dir, "snapshot"), b, 0o600); err != nil {
		return fmt.Errorf("write state snapshot: %w", err)
	}
	os.Remove(s.journalPath(s.gen))
	s.gen, s.snapsize, s.jsize = snap.Gen, int64(len(b)), 0
	return nil
}
