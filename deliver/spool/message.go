package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Message is one spooled message. It implements fetch.Staged.
type Message struct {
	dir   *Dir
	name  string
	info  os.FileInfo // of the file as written, to recognise it when reopened
	stats Stats
}

// Stats describes a spooled message's bytes; a sink uses them to choose protocol options
// and to explain a refusal.
type Stats struct {
	Size        int64 // bytes in the file
	Lines       int64 // LF characters
	LongestLine int64 // bytes in the longest line, without its LF
	EightBit    bool  // some byte is 0x80 or above
	NUL         bool  // some byte is 0x00

	cur int64 // length of the line being counted
}

// add accounts for the next chunk of the message. It costs one IndexByte pass per line,
// plus a byte loop only until the first 8-bit byte is seen.
func (s *Stats) add(p []byte) {
	s.Size += int64(len(p))
	if !s.NUL && bytes.IndexByte(p, 0) >= 0 {
		s.NUL = true
	}
	if !s.EightBit {
		for _, c := range p {
			if c >= 0x80 {
				s.EightBit = true
				break
			}
		}
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.cur += int64(len(p))
			break
		}
		s.cur += int64(i)
		s.LongestLine = max(s.LongestLine, s.cur)
		s.cur = 0
		s.Lines++
		p = p[i+1:]
	}
	s.LongestLine = max(s.LongestLine, s.cur)
}

// fill writes header and body to f, which is the new spool file of m.
func (m *Message) fill(ctx context.Context, f *os.File, header []byte, body io.Reader) error {
	if err := m.write(f, header); err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			return fail.Wrap(fail.Temporary, err)
		}
		n, rerr := body.Read(buf)
		if err := m.write(f, buf[:n]); err != nil {
			return err
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("read message: %w", rerr)
		}
	}
	fi, err := f.Stat()
	if err != nil {
		return fail.Wrap(fail.Temporary, fmt.Errorf("stat spool file %s: %w", m.path(), err))
	}
	m.info = fi
	return nil
}

func (m *Message) write(f *os.File, p []byte) error {
	if len(p) == 0 {
		return nil
	}
	m.stats.add(p)
	if _, err := f.Write(p); err != nil {
		return fail.Hint(fail.Temporary, fmt.Errorf("write spool file %s: %w", m.path(), err),
			"check that the spool directory's disk is not full")
	}
	return nil
}

func (m *Message) path() string { return filepath.Join(m.dir.path, m.name) }

// Receipt returns the spool file's name. It implements fetch.Staged.
func (m *Message) Receipt() string { return m.name }

// Stats returns what is known about the message's bytes.
func (m *Message) Stats() Stats { return m.stats }

// Discard removes the spool file. It implements fetch.Staged; a sink's Publish calls it
// too once a message is delivered or has failed.
func (m *Message) Discard() error {
	err := os.Remove(m.path())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove spool file: %w", err)
	}
	return nil
}

// Open opens the spool file for reading, refusing a file that is not the one Stage wrote.
func (m *Message) Open() (*os.File, error) {
	f, err := os.OpenFile(m.path(), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fail.Wrap(fail.Temporary, fmt.Errorf("open spool file: %w", err))
	}
	fi, err := f.Stat()
	if err == nil && (!os.SameFile(fi, m.info) || fi.Size() != m.stats.Size) {
		err = errors.New("replaced by another file")
	}
	if err != nil {
		f.Close()
		return nil, fail.Wrap(fail.Security, fmt.Errorf("spool file %s: %w", m.path(), err))
	}
	return f, nil
}

// Publish hands each message of batch, in order, to deliver and removes its spool file
// afterwards, whatever the outcome. It returns one error per message. A message that is
// not a *Message, or comes after ctx is done, is not handed over.
func Publish(ctx context.Context, batch []fetch.Staged, deliver func(*Message) error) []error {
	errs := make([]error, len(batch))
	for i, st := range batch {
		msg, ok := st.(*Message)
		switch {
		case !ok:
			errs[i] = fail.Errorf(fail.Internal, "spool: cannot publish a %T", st)
		case ctx.Err() != nil:
			errs[i] = fail.Wrap(fail.Temporary, ctx.Err())
		default:
			errs[i] = deliver(msg)
		}
		if ok {
			// A file that cannot be removed must not turn a delivery into a failure
			// (which would deliver it twice); Open sweeps it later.
			_ = msg.Discard()
		}
	}
	return errs
}
