package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestInstallAndUnits: `make install` puts the binary, both manual pages and the
// systemd user units under DESTDIR, the units' ExecStart= pointing at the installed
// binary, and systemd-analyze finds nothing wrong with the units.
func TestInstallAndUnits(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make is not installed")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	cmd := exec.Command(mk, "install", "BIN="+filepath.Join(dir, "fetchsecure"), "DESTDIR="+root, "PREFIX=/usr")
	cmd.Dir = ".."
	if r := testlib.RunCommand(t, cmd, testlib.RunTimeout); r.Code != 0 {
		t.Fatalf("make install: %s", r)
	}
	for _, f := range []string{"usr/bin/fetchsecure", "usr/share/man/man1/fetchsecure.1", "usr/share/man/man5/fetchsecure.toml.5",
		"usr/lib/systemd/user/fetchsecure.service", "usr/lib/systemd/user/fetchsecure-once.service", "usr/lib/systemd/user/fetchsecure.timer"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	units := filepath.Join(root, "usr/lib/systemd/user")
	unit, _ := os.ReadFile(filepath.Join(units, "fetchsecure.service"))
	if !strings.Contains(string(unit), "ExecStart=/usr/bin/fetchsecure\n") || !strings.Contains(string(unit), "Type=notify") {
		t.Errorf("installed fetchsecure.service:\n%s", unit)
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	// verify checks that ExecStart= exists: point it at the installed binary.
	bin := filepath.Join(root, "usr/bin/fetchsecure")
	var args []string
	for _, u := range []string{"fetchsecure.service", "fetchsecure-once.service", "fetchsecure.timer"} {
		b, _ := os.ReadFile(filepath.Join(units, u))
		p := filepath.Join(dir, u)
		os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "/usr/bin/fetchsecure", bin)), 0o644)
		args = append(args, p)
	}
	cmd = exec.Command(analyze, append([]string{"verify", "--user"}, args...)...)
	cmd.Env = append(os.Environ(), "MANPATH="+filepath.Join(root, "usr/share/man"), "XDG_RUNTIME_DIR="+dir)
	r := testlib.RunCommand(t, cmd, testlib.RunTimeout)
	if r.Code != 0 || len(r.Stdout)+len(r.Stderr) > 0 {
		t.Errorf("systemd-analyze verify: %s", r)
	}
}
