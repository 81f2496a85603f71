package maildir

import (
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// staleAfter is how long a file may sit in tmp/ before New removes it: the maildir
// spec's "has not been accessed in 36 hours".
const staleAfter = 36 * time.Hour

// openBox opens the root box (name "") or a Maildir++ folder, with its tmp/ and new/.
// With create it makes what is missing (mode 0700), cur/ and, for a folder, the
// maildirfolder file included, and fsyncs each directory that gained an entry, so that a
// message published into a new folder does not vanish with the folder.
func openBox(root *safeio.Dir, name string, create bool) (*box, error) {
	b := &box{name: name, dir: root}
	if err := b.open(root, create); err != nil {
		b.close(root)
		return nil, err
	}
	return b, nil
}

func (b *box) open(root *safeio.Dir, create bool) (err error) {
	if b.name != "" {
		if b.dir, err = openSub(root, b.name, create); err != nil {
			return err
		}
	}
	if create {
		cur, err := openSub(b.dir, "cur", true)
		if err != nil {
			return err
		}
		cur.Close()
	}
	if b.tmp, err = openSub(b.dir, "tmp", create); err != nil {
		return err
	}
	if b.new, err = openSub(b.dir, "new", create); err != nil {
		return err
	}
	if fs, err := b.tmp.FileSystem(); err == nil {
		b.dev, b.syncfs = fs.Dev, syncfsSound(fs)
	}
	if create && b.name != "" {
		// Courier's and Dovecot's marker of a Maildir++ folder; its content is unused.
		f, err := b.dir.Open("maildirfolder", os.O_WRONLY|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		f.Close()
	}
	return nil
}

// openSub opens (with create: makes if missing, durably) the subdirectory name of d.
func openSub(d *safeio.Dir, name string, create bool) (*safeio.Dir, error) {
	if !create {
		return d.OpenSub(name)
	}
	sub, created, err := d.MkSub(name, 0o700)
	if err != nil {
		return nil, err
	}
	if created {
		if err := d.Sync(); err != nil {
			sub.Close()
			return nil, err
		}
	}
	return sub, nil
}

// close closes what openBox opened; root belongs to the Maildir.
func (b *box) close(root *safeio.Dir) {
	for _, d := range []*safeio.Dir{b.tmp, b.new} {
		if d != nil {
			d.Close()
		}
	}
	if b.dir != nil && b.dir != root {
		b.dir.Close()
	}
}

// cleanTmp removes regular files in tmp/ neither modified nor read for staleAfter:
// leftovers of deliveries that crashed. It is best effort; errors are ignored, since a
// leftover costs only space.
func cleanTmp(b *box, now time.Time) {
	d, err := b.dir.OpenSub("tmp") // a Dir of its own, so b.tmp's offset is untouched
	if err != nil {
		return
	}
	defer d.Close()
	for {
		ents, err := d.ReadDir(256)
		for _, e := range ents {
			if e.Type().IsRegular() && isStale(e, now) {
				b.tmp.Remove(e.Name())
			}
		}
		if err != nil {
			return
		}
	}
}

func isStale(e os.DirEntry, now time.Time) bool {
	fi, err := e.Info()
	if err != nil {
		return false
	}
	last := fi.ModTime()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if at := time.Unix(st.Atim.Unix()); at.After(last) {
			last = at
		}
	}
	return now.Sub(last) > staleAfter
}

// errClosed is what a box lookup reports after Close.
var errClosed = errors.New("maildir is closed")
