package maildir

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// SyncMode is how Publish makes the files of a batch durable before renaming them into
// new/.
type SyncMode int

const (
	// SyncAuto uses SyncFS where it is sound and cheap (syncfsSound, little dirty data
	// of other programs), SyncFiles elsewhere.
	SyncAuto SyncMode = iota
	// SyncFiles fsyncs every file, Options.Parallel at a time.
	SyncFiles
	// SyncFS writes the file system back once per batch (syncfs(2)), then checks each
	// file's writeback for errors.
	SyncFS
)

// Why syncfs: an fsync makes one file durable, and on Linux that means writing its
// pages, its inode, on ext4 without a journal its directory too, and a flush of the
// device's cache, per file. A batch of 256 messages paid 256 of each; measured on the
// reference machine (ext4 with and without a journal), 10,000 files of 650 MB took
// 2-5 s to fsync file by file (8 in parallel) and 1.0-1.5 s with one syncfs per batch, at
// half the CPU. syncfs writes the same pages and inodes in one pass and flushes once.
//
// It is not always the better choice, so SyncAuto takes it only when:
//   - the kernel is 5.8 or later, where syncfs reports writeback errors (older ones
//     returned 0 even when a page could not be written);
//   - the file system is a local one whose sync_fs hook commits its journal or log
//     and flushes the device (ext2/3/4, XFS, Btrfs, F2FS); over NFS, FUSE or
//     overlayfs each file is fsync'd, as their syncfs guarantees vary by version;
//   - the machine holds little dirty data (maxForeignDirty): syncfs also writes what
//     other programs left in the page cache, and a batch must not wait for someone's
//     copy of a large file.
//
// After the syncfs, CheckWriteback asks each file's own error state, so that a page
// of ours that failed to write fails that message even if another program's error
// was reported first. The renames are then made durable by the fsync of new/, whose
// device flush also covers anything syncfs wrote without a flush after it.

// maxForeignDirty is the dirty page cache (Dirty + Writeback in /proc/meminfo) above
// which a batch is fsync'd file by file. One batch is at most 64 MiB and the next one
// streams meanwhile, so this leaves room for ours and a little of others'.
const maxForeignDirty = 256 << 20

// syncFiles makes the files of the batch durable and closes them. A file that fails is
// discarded and its error recorded.
func (m *Maildir) syncFiles(items []*staged, errs []error) {
	viaFS := m.opts.Sync == SyncFS || m.opts.Sync == SyncAuto && dirtyBelow(maxForeignDirty)
	var fsOnes, fileOnes []int
	for i, st := range items {
		switch {
		case st == nil || errs[i] != nil:
		case viaFS && (m.opts.Sync == SyncFS || st.box.syncfs):
			fsOnes = append(fsOnes, i)
		default:
			fileOnes = append(fileOnes, i)
		}
	}
	m.syncViaFS(items, errs, fsOnes)
	m.syncEach(items, errs, fileOnes)
}

// The system calls of syncViaFS, replaced by tests to inject failures.
var (
	syncFS         = (*safeio.Dir).SyncFS
	checkWriteback = safeio.CheckWriteback
)

// syncViaFS syncs each file system of the listed files once, then checks and closes
// every file.
func (m *Maildir) syncViaFS(items []*staged, errs []error, which []int) {
	synced := map[uint64]error{}
	for _, i := range which {
		st := items[i]
		err, ok := synced[st.box.dev]
		if !ok {
			err = syncFS(st.box.tmp)
			synced[st.box.dev] = err
		}
		if err == nil {
			err = checkWriteback(st.f)
		}
		errs[i] = closeOrDiscard(st, err)
	}
}

// syncEach fsyncs the listed files with a bounded pool of workers.
func (m *Maildir) syncEach(items []*staged, errs []error, which []int) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(m.opts.Parallel, len(which)) {
		wg.Go(func() {
			for i := range work {
				st := items[i]
				var err error
				if serr := st.f.Sync(); serr != nil {
					err = fmt.Errorf("fsync %s: %w", st.box.tmp.Join(st.tmp), serr)
				}
				errs[i] = closeOrDiscard(st, err)
			}
		})
	}
	for _, i := range which {
		work <- i
	}
	close(work)
	wg.Wait()
}

// closeOrDiscard closes a synced file, or discards it if err (its sync) or the close
// failed, and returns the classified error.
func closeOrDiscard(st *staged, err error) error {
	if err == nil {
		if cerr := st.f.Close(); cerr != nil {
			err = fmt.Errorf("close %s: %w", st.box.tmp.Join(st.tmp), cerr)
		}
	}
	if err != nil {
		st.Discard()
		return safeio.Classify(err)
	}
	return nil
}

// syncfsSound reports whether SyncAuto may use syncfs on fs (see the comment above).
func syncfsSound(fs safeio.FileSystem) bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil || !kernelAtLeast(unix.ByteSliceToString(u.Release[:]), 5, 8) {
		return false
	}
	switch fs.Type {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC, unix.F2FS_SUPER_MAGIC:
		return true
	}
	return false
}

// kernelAtLeast reports whether a kernel release ("6.18.44-fc-v669", "5.10.0-28-amd64")
// is major.minor or later.
func kernelAtLeast(release string, major, minor int) bool {
	maj, rest, ok := leadingInt(release)
	if !ok || !strings.HasPrefix(rest, ".") {
		return false
	}
	mnr, _, ok := leadingInt(rest[1:])
	return ok && (maj > major || maj == major && mnr >= minor)
}

// leadingInt parses the decimal digits at the start of s.
func leadingInt(s string) (n int, rest string, ok bool) {
	i := 0
	for i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, s[i:], i > 0
}

// dirtyBelow reports whether the page cache holds less than limit bytes waiting to be
// written; false if that cannot be read.
func dirtyBelow(limit int64) bool {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return false
	}
	defer f.Close()
	n, ok := dirtyBytes(f)
	return ok && n < limit
}

// dirtyBytes sums the Dirty and Writeback lines of proc(5) meminfo.
func dirtyBytes(r io.Reader) (int64, bool) {
	var sum int64
	found := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, _ := strings.Cut(sc.Text(), ":")
		if name != "Dirty" && name != "Writeback" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		sum += kb << 10
		found++
	}
	return sum, found == 2
}
