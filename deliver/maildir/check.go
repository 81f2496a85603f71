package maildir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// commonFlags are the info suffixes Check tries with a stat before it lists cur/:
// what mail readers set first (seen, replied, flagged, trashed).
var commonFlags = []string{":2,", ":2,S", ":2,RS", ":2,FS", ":2,ST", ":2,FRS", ":2,T"}

// Check reports whether the message behind a receipt (Receipt of a staged message) was
// delivered: Delivered if it is in new/, or in cur/ under its name alone or followed by
// ':' (the info of the maildir spec, ":2,<flags>", that a mail reader adds when it moves
// the message), ';' or '!' (alternative info separators) or ',' (Dovecot fields such as
// ",W="). NotDelivered otherwise, and a leftover file in tmp/ is removed.
//
// Cost: a few stat calls when the message is in new/ or carries common flags. Otherwise
// Check lists cur/ once, 256 entries at a time, so its memory is bounded but its time
// grows with the size of cur/; Check only runs for messages interrupted by a crash. A
// listing may miss a file that is renamed while it runs (a flag change), so a miss is
// confirmed by a second full look before NotDelivered is answered.
//
// When the message is found, its file and directory are fsync'd, since the crash may
// have come before Publish's fsync of new/.
func (m *Maildir) Check(receipt string) (fetch.Outcome, error) {
	folder, name, err := splitReceipt(receipt)
	if err != nil {
		return fetch.Unknown, err
	}
	b, err := m.checkBox(folder)
	if errors.Is(err, os.ErrNotExist) {
		return fetch.NotDelivered, nil
	}
	if err != nil {
		return fetch.Unknown, safeio.Classify(err)
	}
	for range 2 {
		dir, file, err := find(b, name)
		if err != nil {
			return fetch.Unknown, safeio.Classify(err)
		}
		if dir != nil {
			err := syncFound(dir, file)
			if dir != b.new {
				dir.Close()
			}
			return fetch.Delivered, safeio.Classify(err)
		}
	}
	if err := b.tmp.Remove(tmpName(name)); err != nil {
		return fetch.Unknown, safeio.Classify(err)
	}
	return fetch.NotDelivered, nil
}

// splitReceipt validates a receipt and splits it into the folder's directory name ("" for
// the root) and the file name.
func splitReceipt(r string) (folder, name string, err error) {
	folder, name, ok := strings.Cut(r, "/")
	if !ok {
		folder, name = "", r
	}
	bad := name == "" || strings.ContainsAny(name, "/:\x00") || name[0] == '.' ||
		(ok && (len(folder) < 2 || folder[0] != '.' || strings.ContainsRune(folder, 0) ||
			folder == ".."))
	if bad {
		return "", "", fail.Errorf(fail.Internal, "maildir: malformed receipt %q", r)
	}
	return folder, name, nil
}

// checkBox returns the box of a receipt's folder without creating anything.
func (m *Maildir) checkBox(name string) (*box, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.boxes == nil {
		return nil, errClosed
	}
	if b := m.boxes[name]; b != nil {
		return b, nil
	}
	b, err := openBox(m.root, name, false)
	if err != nil {
		return nil, err
	}
	m.boxes[name] = b
	return b, nil
}

// find looks for the message in new/ then cur/. It returns the directory holding it
// (b.new, or an open cur/ the caller closes) and the file's name there, or nil.
func find(b *box, name string) (*safeio.Dir, string, error) {
	if ok, err := b.new.Exists(name); ok || err != nil {
		return b.new, name, err
	}
	cur, err := b.dir.OpenSub("cur")
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	file, err := findInCur(cur, name)
	if file == "" || err != nil {
		cur.Close()
		return nil, "", err
	}
	return cur, file, nil
}

// findInCur tries the usual names with stat calls, then lists cur/.
func findInCur(cur *safeio.Dir, name string) (string, error) {
	for _, suffix := range append([]string{""}, commonFlags...) {
		if ok, err := cur.Exists(name + suffix); ok || err != nil {
			return name + suffix, err
		}
	}
	for {
		ents, err := cur.ReadDir(256)
		for _, e := range ents {
			if n := e.Name(); n == name || isInfoOf(n, name) {
				return n, nil
			}
		}
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			return "", err
		}
	}
}

// isInfoOf reports whether file is name followed by an info or field separator.
func isInfoOf(file, name string) bool {
	return len(file) > len(name) && strings.HasPrefix(file, name) &&
		strings.IndexByte(":;!,", file[len(name)]) >= 0
}

// syncFound fsyncs a found message file and its directory.
func syncFound(dir *safeio.Dir, file string) error {
	f, err := dir.Open(file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return fmt.Errorf("fsync %s: %w", dir.Join(file), err)
	}
	return dir.Sync()
}

// VerifiesDelivery marks Maildir as a fetch.Verifier: Check finds every published
// message by its unique name, so the pipeline may publish whole batches.
func (m *Maildir) VerifiesDelivery() {}

var _ fetch.Verifier = (*Maildir)(nil)
