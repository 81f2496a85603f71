// Package mbox appends messages to an mbox file in mboxrd form, locked the way procmail,
// mutt and Dovecot on Debian lock it, so that no message is lost, duplicated or left
// half-written, whatever instant a crash comes at.
//
// # Format
//
// Each message is written as a "From <sender> <asctime date>" line (the sender from the
// message's Return-Path, or MAILER-DAEMON), the message with every line matching
// ^>*From  given one more '>' (mboxrd), and a blank line. A message that does not end
// with a newline gets one: this is the one place where the delivered bytes differ from
// the server's, inherent to mbox, where a message must end with a line of its own
// before the next separator. If the mbox does not end with a blank line, newlines are
// added first so that the separator starts a line after a blank one.
//
// # Locking
//
// Publish takes, once per batch, a dotlock (<mbox>.lock created with O_EXCL, holding
// "pid:host" as Dovecot's do, refreshed while held, and taken over when older than 5
// minutes or when it names a process of this host that is gone: a delivery killed while
// it held the lock) and then an fcntl write lock on
// the whole file: the order of Dovecot's and procmail's defaults. Both are tried without
// blocking and let go of together while waiting, so that a program taking them in the
// other order (Postfix) cannot deadlock with us. If the directory is not writable (as
// /var/mail is for users on Debian, where setgid helpers dotlock), the fcntl lock alone
// is used. The fcntl lock is an open-file-description lock, which conflicts with the
// POSIX locks of other programs and also with other Mbox values of this process.
//
// # Crash safety
//
// Stage writes the separator, the quoted message and the blank line to a file in the
// spool directory and computes their length and SHA-256; the spool file's name is the
// receipt. Publish, holding the locks, notes the mbox size, writes a batch record (the
// mbox's identity and, per message, receipt, offset, length and hash) durably into the
// spool directory, appends the messages, fsyncs the mbox and marks the record done. If
// appending fails, the mbox is truncated back to the noted size and the whole batch
// fails (fail.Temporary).
//
// New, under the locks, settles every record a crash left open: a message is delivered
// if its bytes are at its offset with the right hash; the first that is not, and all
// after it, are not delivered, and if the mbox past that point holds nothing but the
// start of that very message (compared with its spool file), the torn tail is cut off.
// The outcome is recorded, so Check only looks it up: Delivered or NotDelivered, never a
// guess. A receipt without a record was never published (Check says NotDelivered and
// removes its spool file), unless it is older than the 30 days records are kept (then
// Unknown). If the mbox was replaced by another file since (a different inode), the
// offsets mean nothing and the outcome is Unknown.
//
// Linux only, like package safeio.
package mbox

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fetchsecure/fetchsecure/deliver"
	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// Options configure an Mbox.
type Options struct {
	Trace deliver.Trace // header lines prepended to every message
	// Spool is a directory private to fetchsecure (created with mode 0700) for staged
	// messages and batch records. Required; one per mbox is simplest, but records name
	// their mbox, so several may share one.
	Spool string
	// LockTimeout bounds the wait for the mbox locks; 0 means 2 minutes.
	LockTimeout time.Duration
}

// Mbox is an mbox delivery target; it implements fetch.Sink.
type Mbox struct {
	path  string
	opts  Options
	spool *safeio.Dir
	pid   int
	seq   atomic.Uint64

	mu      sync.Mutex         // one Publish at a time
	records map[string]outcome // settled receipts of batch records, by receipt
}

// New opens the mbox target at path (the file is created on first delivery) and
// settles batches that a crash left open (see the package documentation).
func New(path string, opts Options) (*Mbox, error) {
	if opts.Spool == "" {
		return nil, fail.Errorf(fail.Config, "mbox %s: no spool directory configured", path)
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 2 * time.Minute
	}
	if err := safeio.MkdirAll0700(opts.Spool); err != nil {
		return nil, safeio.Classify(err)
	}
	spool, err := safeio.OpenDir(opts.Spool)
	if err != nil {
		return nil, safeio.Classify(err)
	}
	m := &Mbox{path: path, opts: opts, spool: spool, pid: os.Getpid(),
		records: map[string]outcome{}}
	if err := m.recover(context.Background()); err != nil {
		spool.Close()
		return nil, err
	}
	return m, nil
}

// Close releases the spool directory.
func (m *Mbox) Close() error { return m.spool.Close() }

// receiptName returns a new spool file name: "<unix time>.P<pid>Q<n>R<random>.msg".
// The time lets Check tell a receipt whose record may have expired.
func (m *Mbox) receiptName(now time.Time) string {
	var r [6]byte
	rand.Read(r[:])
	return strconv.FormatInt(now.Unix(), 10) + ".P" + strconv.Itoa(m.pid) + "Q" +
		strconv.FormatUint(m.seq.Add(1), 10) + "R" + hex.EncodeToString(r[:]) + ".msg"
}

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}
)

// Stage writes the message, quoted and framed as it will be appended, to the spool.
func (m *Mbox) Stage(ctx context.Context, env *fetch.Envelope, body io.Reader) (fetch.Staged, error) {
	if err := ctx.Err(); err != nil {
		return nil, fail.Wrap(fail.Temporary, err)
	}
	name := m.receiptName(time.Now())
	f, err := m.spool.Create(name, 0o600)
	if err != nil {
		return nil, safeio.Classify(err)
	}
	s := &staged{m: m, name: name, f: f}
	if err := s.write(env, m.opts.Trace.Header(env), body); err != nil {
		s.Discard()
		return nil, safeio.Classify(fmt.Errorf("spool %s: %w", m.spool.Join(name), err))
	}
	return s, nil
}

// staged is a message in the spool, framed and quoted, ready to append.
type staged struct {
	m    *Mbox
	name string
	f    *os.File
	size int64
	sum  [sha256.Size]byte
	done bool
}

// write frames and quotes the message into s.f, counting and hashing what it writes.
func (s *staged) write(env *fetch.Envelope, hdr []byte, body io.Reader) error {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(body)
	defer func() { br.Reset(nil); readerPool.Put(br) }()
	peek, err := br.Peek(br.Size()) // the header, to find the Return-Path
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return err
	}
	h := sha256.New()
	out := &countWriter{w: s.f, h: h}
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(out)
	defer func() { bw.Reset(nil); writerPool.Put(bw) }()

	bw.WriteString(fromLine(returnPath(peek), env.Received))
	q := &quoter{w: bw}
	q.Write(hdr)
	if _, err := br.WriteTo(q); err != nil {
		return err
	}
	if err := q.Close(); err != nil {
		return err
	}
	if q.n > 0 && q.last != '\n' {
		bw.WriteByte('\n') // see "Format" in the package documentation
	}
	bw.WriteByte('\n')
	if err := bw.Flush(); err != nil {
		return err
	}
	s.size = out.n
	h.Sum(s.sum[:0])
	return nil
}

// countWriter writes through to a file, counting and hashing.
type countWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// Receipt is the spool file's name.
func (s *staged) Receipt() string { return s.name }

// Discard removes the spool file. It does nothing after Publish.
func (s *staged) Discard() error {
	if s.done {
		return nil
	}
	s.done = true
	s.f.Close()
	return s.m.spool.Remove(s.name)
}
