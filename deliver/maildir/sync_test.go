package maildir

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// TestPublishSyncModes: every way of making a batch durable delivers every message,
// in every folder, and leaves tmp/ empty.
func TestPublishSyncModes(t *testing.T) {
	for _, mode := range []SyncMode{SyncAuto, SyncFiles, SyncFS} {
		root := t.TempDir()
		m := newMaildir(t, root, Options{Folders: true, Sync: mode})
		var batch []fetch.Staged
		var bodies [][]byte
		for i := range 40 {
			body := []byte("Subject: " + strconv.Itoa(i) + "\n\n" + strings.Repeat("x", i*1000) + "\n")
			bodies = append(bodies, body)
			batch = append(batch, stage(t, m, envelope([]string{"INBOX", "Lists/go"}[i%2], uint32(i+1)), bytes.NewReader(body)))
		}
		publish(t, m, batch...)
		for i, s := range batch {
			got, err := os.ReadFile(filepath.Join(root, receiptPath(s.Receipt())))
			if err != nil || !bytes.HasSuffix(got, bodies[i]) {
				t.Fatalf("mode %d, message %d: %v", mode, i, err)
			}
		}
		for _, d := range []string{"tmp", ".Lists.go/tmp"} {
			if ents, _ := os.ReadDir(filepath.Join(root, d)); len(ents) != 0 {
				t.Errorf("mode %d: %s holds %d files after Publish", mode, d, len(ents))
			}
		}
	}
}

// TestSyncFSFailures: a failed syncfs fails every message of the batch on that file
// system; a failed writeback of one file fails that message only. Both leave nothing
// in tmp/ or new/.
func TestSyncFSFailures(t *testing.T) {
	defer func(s func(*safeio.Dir) error, c func(*os.File) error) { syncFS, checkWriteback = s, c }(syncFS, checkWriteback)
	root := t.TempDir()
	m := newMaildir(t, root, Options{Sync: SyncFS})
	batchOf := func(n int) []fetch.Staged {
		var b []fetch.Staged
		for i := range n {
			b = append(b, stage(t, m, envelope("INBOX", uint32(i+1)), strings.NewReader("m"+strconv.Itoa(i)+"\n")))
		}
		return b
	}
	syncFS = func(*safeio.Dir) error { return syscall.EIO }
	for i, err := range m.Publish(context.Background(), batchOf(3)) {
		if !errors.Is(err, syscall.EIO) {
			t.Errorf("syncfs failed: message %d got %v", i, err)
		}
	}
	syncFS = (*safeio.Dir).SyncFS
	batch := batchOf(3)
	bad := batch[1].(*staged).f
	checkWriteback = func(f *os.File) error {
		if f == bad {
			return syscall.EIO
		}
		return safeio.CheckWriteback(f)
	}
	errs := m.Publish(context.Background(), batch)
	if errs[0] != nil || !errors.Is(errs[1], syscall.EIO) || errs[2] != nil {
		t.Fatalf("one file's writeback failed: %v", errs)
	}
	if fail.KindOf(errs[1]) == fail.Internal {
		t.Errorf("an I/O error classified as internal: %v", errs[1])
	}
	for dir, want := range map[string]int{"tmp": 0, "new": 2} {
		if ents, _ := os.ReadDir(filepath.Join(root, dir)); len(ents) != want {
			t.Errorf("%s holds %d files, want %d", dir, len(ents), want)
		}
	}
}

func TestSyncfsSound(t *testing.T) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	recent := kernelAtLeast(unix.ByteSliceToString(u.Release[:]), 5, 8)
	if got := syncfsSound(safeio.FileSystem{Type: unix.EXT4_SUPER_MAGIC}); got != recent {
		t.Errorf("ext4 on kernel %s: %v, want %v", u.Release[:], got, recent)
	}
	for _, typ := range []int64{unix.NFS_SUPER_MAGIC, unix.FUSE_SUPER_MAGIC, unix.OVERLAYFS_SUPER_MAGIC, unix.TMPFS_MAGIC} {
		if syncfsSound(safeio.FileSystem{Type: typ}) {
			t.Errorf("file system type %#x taken for sound", typ)
		}
	}
}

func TestKernelAtLeast(t *testing.T) {
	for release, want := range map[string]bool{
		"6.18.44-fc-v669": true, "5.8.0": true, "5.10.0-28-amd64": true, "5.8-rc1": true,
		"5.7.19": false, "4.19.0-26-amd64": false, "5": false, "": false, "x.y": false,
	} {
		if got := kernelAtLeast(release, 5, 8); got != want {
			t.Errorf("kernelAtLeast(%q, 5, 8) = %v, want %v", release, got, want)
		}
	}
}

func TestDirtyBytes(t *testing.T) {
	meminfo := "MemTotal:       24684084 kB\nDirty:              4404 kB\nWriteback:           100 kB\nWritebackTmp:          0 kB\n"
	if n, ok := dirtyBytes(strings.NewReader(meminfo)); !ok || n != 4504<<10 {
		t.Errorf("dirtyBytes = %d, %v; want %d", n, ok, 4504<<10)
	}
	for _, bad := range []string{"", "Dirty: 12 kB\n", "Dirty: x kB\nWriteback: 0 kB\n", "Dirty: 1 MB\nWriteback: 0 kB\n"} {
		if _, ok := dirtyBytes(strings.NewReader(bad)); ok {
			t.Errorf("dirtyBytes(%q) ok", bad)
		}
	}
	if !dirtyBelow(1 << 62) {
		t.Error("dirtyBelow(huge) = false: /proc/meminfo unreadable?")
	}
}
