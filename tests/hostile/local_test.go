package hostile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// localCases are attacks by other users of the same machine: a state directory they
// can write to (or own), links planted in the delivery path (getmail CVE-2004-0880),
// an SSH key they can read. Each is refused before any message is fetched or deleted.
var localCases = []hcase{
	{name: "state-dir-group-writable", runs: []want{refused(fail.Insecure, "chmod 700")}, delivered: "-", remaining: "1 2 3",
		ownModes: true, setup: func(w *world) { mkdir(w, filepath.Join(w.dir, "state"), 0o770) }},
	{name: "state-dir-of-another-user", runs: []want{refused(fail.Insecure, "belongs to user id 65534")},
		delivered: "-", remaining: "1 2 3",
		ownModes: true, setup: func(w *world) {
			if os.Geteuid() != 0 {
				w.t.Skip("needs root to give a directory to another user")
			}
			mkdir(w, filepath.Join(w.dir, "state"), 0o700)
			if err := os.Chown(filepath.Join(w.dir, "state"), 65534, 65534); err != nil {
				w.t.Fatal(err)
			}
		}},
	{name: "spool-dir-world-writable", proto: "pop3", runs: []want{refused(fail.Insecure, "spool")}, delivered: "-",
		remaining: "uid-1 uid-2 uid-3",
		ownModes:  true, setup: func(w *world) {
			mkdir(w, filepath.Join(w.dir, "state"), 0o700)
			mkdir(w, filepath.Join(w.dir, "state", "spool"), 0o777)
		}},
	{name: "maildir-tmp-is-a-link", runs: []want{refused(fail.Temporary, "symbolic link")}, delivered: "-", remaining: "1 2 3",
		ownModes: true, setup: func(w *world) { plantLink(w, "tmp") }, after: nothingInTheDecoy},
	{name: "maildir-new-is-a-link", runs: []want{refused(fail.Temporary, "symbolic link")}, delivered: "-", remaining: "1 2 3",
		ownModes: true, setup: func(w *world) { plantLink(w, "new") }, after: nothingInTheDecoy},
	{name: "ssh-identity-file-readable-by-others", ssh: true, tls: "none",
		runs: []want{refused(fail.Insecure, "chmod 600")}, delivered: "-", remaining: "1 2 3",
		ownModes: true, setup: func(w *world) { os.Chmod(w.sshKey, 0o644) }},
}

func TestLocal(t *testing.T) {
	for _, c := range localCases {
		runCase(t, c)
	}
}

func mkdir(w *world, dir string, mode os.FileMode) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		w.t.Fatal(err)
	}
}

// plantLink makes the maildir's sub a symbolic link to a decoy directory elsewhere.
func plantLink(w *world, sub string) {
	decoy := filepath.Join(w.dir, "decoy")
	for _, d := range []string{decoy, w.maildir, filepath.Join(w.maildir, "cur"), filepath.Join(w.maildir, "new"),
		filepath.Join(w.maildir, "tmp")} {
		mkdir(w, d, 0o700)
	}
	os.Remove(filepath.Join(w.maildir, sub))
	if err := os.Symlink(decoy, filepath.Join(w.maildir, sub)); err != nil {
		w.t.Fatal(err)
	}
}

func nothingInTheDecoy(t *testing.T, w *world) {
	if ents, _ := os.ReadDir(filepath.Join(w.dir, "decoy")); len(ents) > 0 {
		t.Errorf("the decoy directory holds %d files: a link was followed", len(ents))
	}
}
