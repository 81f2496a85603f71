package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

func TestConfigFileMode(t *testing.T) {
	withPassword := minimal + "password = \"hunter2\"\n"
	for _, tc := range []struct {
		name string
		body string
		mode os.FileMode
		want fail.Kind // fail.Internal: no error
	}{
		{"0644 with password", withPassword, 0o644, fail.Insecure},
		{"0640 with password", withPassword, 0o640, fail.Insecure},
		{"0604 with password", withPassword, 0o604, fail.Insecure},
		{"0600 with password", withPassword, 0o600, fail.Internal},
		{"0400 with password", withPassword, 0o400, fail.Internal},
		{"0644 without password", minimal + "password_command = [\"pass\"]\n", 0o644, fail.Internal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.body, tc.mode)
			_, err := Load(path)
			if tc.want == fail.Internal {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if fail.KindOf(err) != tc.want {
				t.Fatalf("kind of %v = %v, want %v", err, fail.KindOf(err), tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, path+":7: account.work.password: ") ||
				!strings.Contains(msg, "mode 0"+tc.name[1:4]) ||
				!strings.Contains(msg, "chmod 600 "+path) || strings.Contains(msg, "hunter2") {
				t.Errorf("message lacks the file, line, mode or fix, or reveals the password: %s", msg)
			}
		})
	}
}

// An exposed password wins over other problems for the kind, but all are reported.
func TestInsecureWithOtherProblems(t *testing.T) {
	path := writeConfig(t, minimal+"password = \"x\"\ntls = \"ssl\"\n", 0o644)
	_, err := Load(path)
	var ps *Problems
	if fail.KindOf(err) != fail.Insecure || !errors.As(err, &ps) || len(ps.List) != 2 {
		t.Fatalf("err = %v (%v)", err, fail.KindOf(err))
	}
}

func TestPasswordFileMode(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := minimal + "password_file = \"" + pw + "\"\n"
	cfg, err := Load(writeConfig(t, body, 0o644)) // no literal password: 0644 is fine
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Accounts[0].Password.File != pw {
		t.Errorf("Password = %+v", cfg.Accounts[0].Password)
	}
	if err := os.Chmod(pw, 0o640); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, body, 0o600)
	_, err = Load(path)
	want := path + ":7: account.work.password_file: " + pw + " has mode 0640: the file's group can read the password in it; run chmod 600 " + pw
	if fail.KindOf(err) != fail.Insecure || err.Error() != want {
		t.Errorf("err = %v (%v)\nwant %s", err, fail.KindOf(err), want)
	}
}
