package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// batchSize is fetchsecure's batch: 256 messages per group commit.
const batchSize = 256

// durable is the floor of a durable client: each message goes into tmp/ of a maildir
// as it arrives (bytes as served, no conversion), and every batchSize messages the
// batch is committed in the background while the next one streams: one syncfs(2) of the
// file system (cheaper than an fsync per file, see deliver/maildir/sync.go), the files
// renamed into new/, new/ fsynced once. That is fetchsecure's group commit without the
// journal, the trace header, the CRLF conversion or the per-file error checks: what any
// client that keeps mail durably in a maildir must pay on this machine.
type durable struct {
	dir     string
	tmp     *os.File // the directories, held open for fsync
	newDir  *os.File
	seq     int
	batch   []string
	files   []*os.File
	pending chan error // the commit in flight, if any
}

func newDurable(dir string) (*durable, error) {
	d := &durable{dir: dir}
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	var err error
	if d.tmp, err = os.Open(filepath.Join(dir, "tmp")); err != nil {
		return nil, err
	}
	d.newDir, err = os.Open(filepath.Join(dir, "new"))
	return d, err
}

// message writes the next n bytes of r to a new file and commits a full batch.
func (d *durable) message(r *bufio.Reader, n int64) error {
	d.seq++
	name := fmt.Sprintf("%d.floor", d.seq)
	f, err := os.OpenFile(filepath.Join(d.dir, "tmp", name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, n); err != nil {
		f.Close()
		return err
	}
	d.batch, d.files = append(d.batch, name), append(d.files, f)
	if len(d.batch) == batchSize {
		return d.commit()
	}
	return nil
}

// commit waits for the previous commit and starts this batch's in the background.
func (d *durable) commit() error {
	if err := d.wait(); err != nil {
		return err
	}
	names, files := d.batch, d.files
	d.batch, d.files = nil, nil
	d.pending = make(chan error, 1)
	go func() { d.pending <- d.publish(names, files) }()
	return nil
}

func (d *durable) wait() error {
	if d.pending == nil {
		return nil
	}
	err := <-d.pending
	d.pending = nil
	return err
}

// finish commits what is left and waits for it.
func (d *durable) finish() error {
	if len(d.batch) > 0 {
		if err := d.commit(); err != nil {
			return err
		}
	}
	return d.wait()
}

func (d *durable) publish(names []string, files []*os.File) error {
	errs := []error{unix.Syncfs(int(d.tmp.Fd()))}
	for _, f := range files {
		errs = append(errs, f.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, name := range names {
		if err := os.Rename(filepath.Join(d.dir, "tmp", name), filepath.Join(d.dir, "new", name)); err != nil {
			return err
		}
	}
	return d.newDir.Sync()
}
