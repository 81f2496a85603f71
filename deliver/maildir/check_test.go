package maildir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
)

func check(t *testing.T, m *Maildir, receipt string, want fetch.Outcome) {
	t.Helper()
	got, err := m.Check(receipt)
	if err != nil || got != want {
		t.Errorf("Check(%s) = %v, %v; want %v", receipt, got, err, want)
	}
}

func TestCheckLifecycle(t *testing.T) {
	for _, folder := range []string{"INBOX", "Lists/go-nuts"} {
		root := t.TempDir()
		m := newMaildir(t, root, Options{Folders: true})
		box := root
		if folder != "INBOX" {
			box = filepath.Join(root, ".Lists.go-nuts")
		}

		// Staged, then the run crashed: NotDelivered, and tmp/ is cleaned.
		s := stage(t, m, envelope(folder, 1), strings.NewReader("a\n"))
		check(t, m, s.Receipt(), fetch.NotDelivered)
		if ents, _ := os.ReadDir(filepath.Join(box, "tmp")); len(ents) != 0 {
			t.Errorf("%s: tmp/ not cleaned by Check: %v", folder, ents)
		}

		s = stage(t, m, envelope(folder, 2), strings.NewReader("b\n"))
		publish(t, m, s)
		r := s.Receipt()
		check(t, m, r, fetch.Delivered)

		// A fresh Maildir (the next run) answers the same, for a folder not opened yet.
		m2 := newMaildir(t, root, Options{Folders: true})
		check(t, m2, r, fetch.Delivered)

		// The mail reader moves the message to cur/ and adds flags.
		name := r[strings.LastIndexByte(r, '/')+1:]
		newPath := filepath.Join(box, "new", name)
		for _, suffix := range []string{"", ":2,", ":2,S", ":2,DFRST", ":2,Sabc", ",W=1234:2,S", "!2,S"} {
			to := filepath.Join(box, "cur", name+suffix)
			if err := os.Rename(newPath, to); err != nil {
				t.Fatal(err)
			}
			check(t, m2, r, fetch.Delivered)
			newPath = to
		}
		// A different message whose name merely shares a prefix does not count.
		if err := os.Rename(newPath, filepath.Join(box, "cur", name+"0:2,S")); err != nil {
			t.Fatal(err)
		}
		check(t, m2, r, fetch.NotDelivered)
	}
}

func TestCheckMissingFolder(t *testing.T) {
	root := t.TempDir()
	m := newMaildir(t, root, Options{Folders: true})
	check(t, m, ".Never/1764236400.M1P2Q3.host,S=10", fetch.NotDelivered)
	if _, err := os.Stat(filepath.Join(root, ".Never")); !os.IsNotExist(err) {
		t.Errorf("Check created a folder: %v", err)
	}
}

func TestCheckMalformedReceipts(t *testing.T) {
	m := newMaildir(t, t.TempDir(), Options{})
	for _, r := range []string{"", "/", "../x", "./x", "..", "a/b/c", "x:2,S", ".a/",
		"../new/x", "a\x00b", ".x/.y", "noleadingdot/x"} {
		if o, err := m.Check(r); err == nil {
			t.Errorf("Check(%q) = %v, nil; want an error", r, o)
		}
	}
}

func TestStaleTmpCleanup(t *testing.T) {
	root := t.TempDir()
	m := newMaildir(t, root, Options{})
	m.Close()
	tmp := filepath.Join(root, "tmp")
	for _, n := range []string{"old", "fresh"} {
		if err := os.WriteFile(filepath.Join(tmp, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-40 * time.Hour)
	if err := os.Chtimes(filepath.Join(tmp, "old"), old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(tmp, "olddir"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(filepath.Join(tmp, "olddir"), old, old)
	newMaildir(t, root, Options{})
	var names []string
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "fresh olddir" {
		t.Errorf("tmp/ after New = %v, want [fresh olddir]", names)
	}
}

// A symbolic link planted at tmp/, new/ or a folder must not be followed: New or Stage
// fail and nothing appears where the link points.
func TestSymlinkRefusal(t *testing.T) {
	for _, planted := range []string{"tmp", "new", "cur", ".Lists", ".Lists/tmp", ".Lists/new"} {
		t.Run(strings.ReplaceAll(planted, "/", "_"), func(t *testing.T) {
			root, elsewhere := t.TempDir(), t.TempDir()
			for _, d := range []string{"cur", "new", "tmp", ".Lists/cur"} {
				os.MkdirAll(filepath.Join(root, d), 0o700)
			}
			for _, d := range []string{"cur", "new", "tmp"} {
				os.MkdirAll(filepath.Join(elsewhere, d), 0o700)
			}
			p := filepath.Join(root, planted)
			os.RemoveAll(p)
			if err := os.Symlink(elsewhere, p); err != nil {
				t.Fatal(err)
			}
			refused := 0
			m, err := New(root, Options{Folders: true})
			if err != nil {
				refused++
			} else {
				defer m.Close()
				for _, f := range []string{"INBOX", "Lists"} {
					s, err := m.Stage(t.Context(), envelope(f, 1), strings.NewReader("x\n"))
					if err != nil {
						refused++
						continue
					}
					if errs := m.Publish(t.Context(), []fetch.Staged{s}); errs[0] != nil {
						refused++
					}
				}
			}
			if refused == 0 {
				t.Error("the planted symlink did not make New, Stage or Publish fail")
			}
			filepath.Walk(elsewhere, func(path string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() {
					t.Errorf("a file appeared behind the symlink: %s", path)
				}
				return nil
			})
		})
	}
}

func TestRootMayBeSymlink(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "Maildir")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	m := newMaildir(t, link, Options{})
	p := deliverOne(t, m, link, envelope("INBOX", 1), []byte("x\n"))
	if _, err := os.Stat(filepath.Join(real, "new", filepath.Base(p))); err != nil {
		t.Errorf("message not in the linked maildir: %v", err)
	}
}
