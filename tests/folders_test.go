package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestMaildirFolders fetches folders into Maildir++ subfolders (maildir_folders =
// true) from Dovecots that separate levels with '/' and with '.', and checks that each
// message lands in the directory Dovecot itself uses for that folder: the Maildir++
// layout Courier, Dovecot and mutt read. Names with IMAP wildcards, quotes,
// backslashes and '&' go through LIST and SELECT and stay inside the maildir.
func TestMaildirFolders(t *testing.T) {
	t.Parallel()
	for _, sep := range []string{"/", "."} {
		t.Run("separator "+sep, func(t *testing.T) {
			t.Parallel()
			folders := []string{"INBOX", "Lists" + sep + "go-nuts", "Archive 2024", "Entwürfe",
				"a&b", "%", "*x", `a"b`, `a\b`, "[Gmail]" + sep + "All Mail"}
			checkMaildirFolders(t, sep, folders)
		})
	}
}

func checkMaildirFolders(t *testing.T, sep string, folders []string) {
	w := newWorld(t)
	w.dc.Stop()
	// The testlib Dovecot separates with '/'; a later namespace setting overrides it.
	w.dc = testlib.StartDovecot(t, testlib.DovecotOptions{
		ExtraConfig: fmt.Sprintf("namespace inbox {\n  separator = %s\n}\n", sep)})
	w.dc.AddUser(t, "alex", password)
	want := map[string][]byte{} // Dovecot's directory name for the folder → its message
	for i, f := range folders {
		msg := fmt.Appendf(nil, "From: a@example.org\nSubject: in %s\nMessage-ID: <f%d@t>\n\nfolder %q\n", f, i, f)
		w.dc.CreateFolder(t, "alex", f)
		w.dc.Append(t, "alex", f, msg)
		dir := strings.TrimSpace(string(w.dc.Doveadm(t, "mailbox", "path", "-u", "alex", f)))
		if strings.EqualFold(f, "INBOX") {
			dir = ""
		}
		want[filepath.Base(dir)] = msg
	}
	quoted := make([]string, len(folders))
	for i, f := range folders {
		quoted[i] = fmt.Sprintf("%q", f)
	}
	w.writeConfig(w.imapAccount("f", "maildir_folders = true", "keep = false",
		"folders = ["+strings.Join(quoted, ", ")+"]"))
	w.mustRun(0)

	for dir, msg := range want {
		box := filepath.Join(w.maildir, dir)
		testlib.AssertSameMessages(t, testlib.Contents(testlib.ReadMaildir(t, box)), [][]byte{msg})
		if _, err := os.Stat(filepath.Join(box, "maildirfolder")); dir != "." && err != nil {
			t.Errorf("folder %s has no maildirfolder file: %v", dir, err)
		}
	}
	ents, err := os.ReadDir(w.maildir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if n := e.Name(); !slices.Contains([]string{"cur", "new", "tmp"}, n) && want[n] == nil {
			t.Errorf("unexpected entry %q in the maildir", n)
		}
	}
	for _, f := range folders {
		if n := len(w.dc.Messages(t, "alex", f)); n != 0 {
			t.Errorf("folder %q: %d messages left on the server", f, n)
		}
	}
}
