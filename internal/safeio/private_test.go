package safeio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

func TestCheckPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := MkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("created with mode %04o, want 0700", fi.Mode().Perm())
	}
	os.Chmod(dir, 0o755) // readable is the user's business; writable is not
	if err := CheckPrivate(dir); err != nil {
		t.Fatalf("mode 0755: %v", err)
	}
	for _, mode := range []os.FileMode{0o775, 0o757, 0o777 | os.ModeSticky} {
		os.Chmod(dir, mode)
		err := CheckPrivate(dir)
		if fail.KindOf(err) != fail.Insecure || !strings.Contains(fail.HintOf(err), "chmod 700") {
			t.Errorf("mode %v: %v", mode, err)
		}
	}
	os.Chmod(dir, 0o700)
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(dir, link)
	if err := CheckPrivate(link); err != nil {
		t.Errorf("a link to a private directory: %v", err)
	}
	if err := CheckPrivate(filepath.Join(dir, "missing")); fail.KindOf(err) != fail.Config {
		t.Errorf("missing directory: %v", err)
	}
}

func TestCheckPrivateOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	dir := filepath.Join(t.TempDir(), "theirs")
	os.Mkdir(dir, 0o700)
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := CheckPrivate(dir)
	if fail.KindOf(err) != fail.Insecure || !strings.Contains(err.Error(), "belongs to user id 65534") {
		t.Fatalf("a directory of user 65534: %v", err)
	}
}
