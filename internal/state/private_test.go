package state

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Another local user who can write to the state could replace the journal and have
// mail deleted that was never delivered: such a state directory is refused.
func TestStateDirMustBePrivate(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	st, err := Open(AccountDir(stateDir, "work"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, d := range []string{stateDir, filepath.Join(stateDir, "accounts"), AccountDir(stateDir, "work")} {
		if fi, _ := os.Stat(d); fi.Mode().Perm() != 0o700 {
			t.Errorf("%s created with mode %04o", d, fi.Mode().Perm())
		}
	}
	for _, d := range []string{stateDir, filepath.Join(stateDir, "accounts"), AccountDir(stateDir, "work")} {
		os.Chmod(d, 0o770)
		if _, err := Open(AccountDir(stateDir, "work")); fail.KindOf(err) != fail.Insecure {
			t.Errorf("%s group-writable: Open = %v, want an Insecure error", d, err)
		}
		if d == stateDir {
			if _, err := Acquire(stateDir); fail.KindOf(err) != fail.Insecure {
				t.Errorf("group-writable state dir: Acquire = %v", err)
			}
		}
		os.Chmod(d, 0o700)
	}
}

func TestStateDirOfAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	stateDir := filepath.Join(t.TempDir(), "state")
	os.Mkdir(stateDir, 0o700)
	os.Chown(stateDir, 65534, 65534) // prepared by someone else, e.g. in /tmp
	if _, err := Acquire(stateDir); fail.KindOf(err) != fail.Insecure {
		t.Fatalf("Acquire in another user's directory = %v", err)
	}
	if _, err := Open(AccountDir(stateDir, "work")); fail.KindOf(err) != fail.Insecure {
		t.Fatalf("Open in another user's directory = %v", err)
	}
}
