// Package maildir delivers messages into a maildir (cr.yp.to/proto/maildir.html) so
// that a message Publish reports delivered survives a power loss, and a crash at any
// instant leaves each message either delivered once or not at all.
//
// A message is written to tmp/ under a unique name (Stage), and a batch is made durable
// together (Publish, a group commit): the files are made durable, renamed into new/
// with ",S=<size>" appended, and each new/ directory is fsync'd once. The files are
// made durable by one syncfs(2) of their file system where that is sound (sync.go),
// else by fsyncs in parallel: one fsync after another, 256 per batch, could not keep
// up with the network.
//
// With Options.Folders, server folders map to Maildir++ subfolders (FolderPath), each
// with cur/, new/, tmp/ and a maildirfolder file, as Courier and Dovecot expect.
//
// Every directory below the root is opened without following symbolic links and files
// are created with O_EXCL|O_NOFOLLOW at mode 0600 (directories 0700): a link planted at
// tmp/, new/ or a folder cannot send mail elsewhere (getmail CVE-2004-0880). The root
// itself is the user's choice and may be a link.
//
// Linux only, like package safeio.
package maildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fetchsecure/fetchsecure/deliver"
	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// Options configure a Maildir.
type Options struct {
	Trace   deliver.Trace // header lines prepended to every message
	Folders bool          // deliver each server folder to its Maildir++ subfolder (maildir_folders)
	// Parallel is how many fsyncs Publish keeps in flight; 0 means 8.
	Parallel int
	// Sync is how Publish makes a batch durable; SyncAuto unless a test says otherwise.
	Sync SyncMode
}

// Maildir is a maildir delivery target; it implements fetch.Sink. It keeps its
// directories open until Close, so make one per run.
type Maildir struct {
	opts       Options
	host       string
	pid        int
	deliveries atomic.Uint64
	root       *safeio.Dir

	mu    sync.Mutex
	boxes map[string]*box // by directory name, "" for the root
}

// box is the root maildir or one Maildir++ folder, with its directories open.
type box struct {
	name          string // "" or ".Lists.go-nuts"
	dir, tmp, new *safeio.Dir
	dev           uint64 // the file system of tmp/
	syncfs        bool   // SyncAuto may use syncfs there (syncfsSound)
}

// New opens the maildir at root, creating it (mode 0700) and its cur/, new/ and tmp/ as
// needed, and removes files left in tmp/ for more than 36 hours (maildir spec).
func New(root string, opts Options) (*Maildir, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = 8
	}
	if err := safeio.MkdirAll0700(root); err != nil {
		return nil, safeio.Classify(err)
	}
	d, err := safeio.OpenDir(root)
	if err != nil {
		return nil, safeio.Classify(err)
	}
	m := &Maildir{opts: opts, host: hostPart(), pid: os.Getpid(), root: d,
		boxes: map[string]*box{}}
	if _, err := m.box(""); err != nil {
		d.Close()
		return nil, err
	}
	return m, nil
}

// Close closes the maildir's directories. Staged messages must be published or
// discarded first.
func (m *Maildir) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, b := range m.boxes {
		errs = append(errs, b.tmp.Close(), b.new.Close())
		if b.dir != m.root {
			errs = append(errs, b.dir.Close())
		}
	}
	m.boxes = nil
	return errors.Join(append(errs, m.root.Close())...)
}

// box returns the open box for a directory name ("" for the root), creating the folder
// and its subdirectories if needed.
func (m *Maildir) box(name string) (*box, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.boxes == nil {
		return nil, fail.Wrap(fail.Internal, fmt.Errorf("%s: %w", m.root.Path(), errClosed))
	}
	if b := m.boxes[name]; b != nil {
		return b, nil
	}
	b, err := openBox(m.root, name, true)
	if err != nil {
		return nil, safeio.Classify(err)
	}
	cleanTmp(b, time.Now())
	m.boxes[name] = b
	return b, nil
}

// folderBox returns the box for messages of a server folder.
func (m *Maildir) folderBox(env *fetch.Envelope) (*box, error) {
	if !m.opts.Folders {
		return m.box("")
	}
	name, err := FolderName(InNamespace(env.Folder, env.Prefix), env.Delim)
	if err != nil {
		return nil, err
	}
	return m.box(name)
}

// Stage writes the trace header and the message to tmp/ in the folder's box.
func (m *Maildir) Stage(ctx context.Context, env *fetch.Envelope, body io.Reader) (fetch.Staged, error) {
	if err := ctx.Err(); err != nil {
		return nil, fail.Wrap(fail.Temporary, err)
	}
	b, err := m.folderBox(env)
	if err != nil {
		return nil, err
	}
	name, f, err := m.create(b)
	if err != nil {
		return nil, safeio.Classify(err)
	}
	size, err := copyMessage(f, m.opts.Trace.Header(env), body)
	if err != nil {
		f.Close()
		b.tmp.Remove(name)
		return nil, safeio.Classify(fmt.Errorf("write %s: %w", b.tmp.Join(name), err))
	}
	return &staged{m: m, box: b, tmp: name, final: withSize(name, size), f: f}, nil
}

// create makes a new file in tmp/ under a unique name. A clash (impossible but for a
// broken clock and PID reuse at once) is retried with a fresh name.
func (m *Maildir) create(b *box) (string, *os.File, error) {
	for try := 0; ; try++ {
		name := m.uniqueName(time.Now())
		f, err := b.tmp.Create(name, 0o600)
		if err == nil || !errors.Is(err, os.ErrExist) || try == 3 {
			return name, f, err
		}
	}
}

// bufPool holds copy buffers, so that a message costs no allocation of its size.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}

// copyMessage writes hdr then body to f and returns the number of bytes written.
func copyMessage(f *os.File, hdr []byte, body io.Reader) (int64, error) {
	n, err := f.Write(hdr)
	if err != nil {
		return 0, err
	}
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	// Hide f's ReadFrom and body's WriteTo so that the pooled buffer is used.
	m, err := io.CopyBuffer(struct{ io.Writer }{f}, struct{ io.Reader }{body}, *buf)
	return int64(n) + m, err
}

// staged is a message in tmp/. Its file stays open until Publish or Discard so that the
// fsync of Publish reports any write-back error of this very file.
type staged struct {
	m          *Maildir
	box        *box
	tmp, final string // names in tmp/ and, once published, in new/
	f          *os.File
	done       bool // published or discarded
}

// Receipt is the message's name in new/, after its folder's directory name and '/' if
// it is in a Maildir++ folder: ".Lists.go-nuts/1764236400.M123P456Q7R….host,S=1234".
func (s *staged) Receipt() string {
	if s.box.name == "" {
		return s.final
	}
	return s.box.name + "/" + s.final
}

// Discard removes the staged file. It does nothing after Publish.
func (s *staged) Discard() error {
	if s.done {
		return nil
	}
	s.done = true
	s.f.Close()
	return s.box.tmp.Remove(s.tmp)
}
