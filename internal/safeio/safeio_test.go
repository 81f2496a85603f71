package safeio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	for _, data := range [][]byte{[]byte("one\n"), []byte("two, longer\n"), nil} {
		if err := WriteFile(p, data, 0o600); err != nil {
			t.Fatalf("WriteFile = %v", err)
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("ReadFile = %q, %v; want %q", got, err, data)
		}
	}
	if m := mode(t, p); m != 0o600 {
		t.Errorf("mode = %v, want 0600", m)
	}
	if n := names(t, dir); len(n) != 1 {
		t.Errorf("directory holds %q, want only state", n)
	}
}

func TestWriteFileRemovesTempOnFailure(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "target")
	if err := os.Mkdir(p, 0o700); err != nil { // renaming a file over a directory fails
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("data"), 0o600); err == nil {
		t.Fatal("WriteFile over a directory succeeded")
	}
	if n := names(t, dir); len(n) != 1 || n[0] != "target" {
		t.Errorf("directory holds %q after failure, want only target", n)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), nil, 0o600); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Errorf("SyncDir = %v", err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("SyncDir of a missing directory succeeded")
	}
}

func TestCreateExcl(t *testing.T) {
	dir := t.TempDir()
	f, err := CreateExcl(dir, "a", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if m := mode(t, filepath.Join(dir, "a")); m != 0o600 {
		t.Errorf("mode = %v, want 0600", m)
	}
	if _, err := CreateExcl(dir, "a", 0o600); !errors.Is(err, os.ErrExist) {
		t.Errorf("second CreateExcl = %v, want ErrExist", err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.Symlink(victim, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateExcl(dir, "link", 0o600); err == nil {
		t.Error("CreateExcl through a dangling symlink succeeded")
	}
	if _, err := os.Lstat(victim); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("symlink target was created: %v", err)
	}
	for _, bad := range []string{"", ".", "..", "a/b", "../x", "a\x00"} {
		if _, err := CreateExcl(dir, bad, 0o600); !errors.Is(err, errName) {
			t.Errorf("CreateExcl(%q) = %v, want errName", bad, err)
		}
	}
}

func TestMkdirAll0700(t *testing.T) {
	base := t.TempDir()
	p := filepath.Join(base, "a", "b", "c")
	if err := MkdirAll0700(p); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"a", "a/b", "a/b/c"} {
		if m := mode(t, filepath.Join(base, d)); m != 0o700 {
			t.Errorf("%s mode = %v, want 0700", d, m)
		}
	}
	if err := MkdirAll0700(p); err != nil {
		t.Errorf("second MkdirAll0700 = %v", err)
	}
	// The user-named path may be a symlink: creating below it is fine.
	if err := os.Symlink(filepath.Join(base, "a"), filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll0700(filepath.Join(base, "link", "d")); err != nil {
		t.Errorf("MkdirAll0700 below a user-named symlink = %v", err)
	}
	if err := os.WriteFile(filepath.Join(base, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll0700(filepath.Join(base, "file", "x")); err == nil {
		t.Error("MkdirAll0700 below a file succeeded")
	}
}

// A component MkdirAll0700 must create is a dangling symlink (planted): it must fail
// rather than create the link's target.
func TestMkdirAll0700RefusesPlantedSymlink(t *testing.T) {
	base, elsewhere := t.TempDir(), t.TempDir()
	target := filepath.Join(elsewhere, "owned")
	if err := os.Symlink(target, filepath.Join(base, "mail")); err != nil {
		t.Fatal(err)
	}
	err := MkdirAll0700(filepath.Join(base, "mail", "inbox"))
	if !errors.Is(err, syscall.ELOOP) && !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("MkdirAll0700 through a planted symlink = %v, want ELOOP or ENOTDIR", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("symlink target was created: %v", err)
	}
}

func TestDirRefusesSymlinks(t *testing.T) {
	base, elsewhere := t.TempDir(), t.TempDir()
	d, err := OpenDir(base)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.Symlink(elsewhere, filepath.Join(base, "sub")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "f"), filepath.Join(base, "f")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.OpenSub("sub"); !errors.Is(err, syscall.ELOOP) && !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("OpenSub(symlink) = %v, want ELOOP", err)
	}
	if _, _, err := d.MkSub("sub", 0o700); err == nil {
		t.Error("MkSub(symlink) succeeded")
	}
	if _, err := d.Create("f", 0o600); err == nil {
		t.Error("Create(symlink) succeeded")
	}
	if _, err := d.Open("f", os.O_WRONLY|os.O_CREATE, 0o600); err == nil {
		t.Error("Open(symlink, O_CREATE) succeeded")
	}
	if n := names(t, elsewhere); len(n) != 0 {
		t.Errorf("files appeared behind the symlink: %q", n)
	}
	if ok, err := d.Exists("f"); !ok || err != nil {
		t.Errorf("Exists(symlink) = %v, %v; want true (the link itself)", ok, err)
	}
	if err := d.Remove("f"); err != nil {
		t.Errorf("Remove(symlink) = %v", err)
	}
	if ok, _ := d.Exists("f"); ok {
		t.Error("symlink still there after Remove")
	}
}

func TestDirOps(t *testing.T) {
	base := t.TempDir()
	d, err := OpenDir(base)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a, created, err := d.MkSub("a", 0o700)
	if err != nil || !created {
		t.Fatalf("MkSub = %v, %v", created, err)
	}
	defer a.Close()
	f, err := a.Create("x", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := a.Rename("x", d, "y"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := d.Exists("y"); !ok {
		t.Error("renamed file missing")
	}
	if err := errors.Join(d.Sync(), d.Remove("y"), d.Remove("y")); err != nil {
		t.Errorf("Sync/Remove = %v", err)
	}
}

func TestAppendRecord(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "journal")
	for _, rec := range []string{"one\n", "two\n"} {
		if err := AppendRecord(p, []byte(rec), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := os.ReadFile(p); string(got) != "one\ntwo\n" {
		t.Errorf("journal = %q", got)
	}
	if m := mode(t, p); m != 0o600 {
		t.Errorf("mode = %v", m)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, nil, 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(victim, link)
	if err := AppendRecord(link, []byte("x\n"), 0o600); err == nil {
		t.Error("AppendRecord through a symlink succeeded")
	}
	if got, _ := os.ReadFile(victim); len(got) != 0 {
		t.Errorf("symlink target written: %q", got)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		kind fail.Kind
		hint bool
	}{
		{&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, fail.Temporary, true},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, fail.Temporary, true},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.ELOOP}, fail.Temporary, true},
		{&os.PathError{Op: "write", Path: "x", Err: syscall.EIO}, fail.Temporary, false},
		{fail.Wrap(fail.Delivery, errors.New("x")), fail.Delivery, false},
	}
	for _, tt := range tests {
		err := Classify(tt.err)
		if fail.KindOf(err) != tt.kind || (fail.HintOf(err) != "") != tt.hint {
			t.Errorf("Classify(%v) = %v / %q", tt.err, fail.KindOf(err), fail.HintOf(err))
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("Classify(%v) lost the cause", tt.err)
		}
	}
	if Classify(nil) != nil {
		t.Error("Classify(nil) != nil")
	}
}
