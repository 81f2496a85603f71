package tunnel

import (
	"os"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

func TestExposedKeyRefused(t *testing.T) {
	key := testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")
	if _, err := readKeyFile(key.Path); err != nil {
		t.Fatalf("mode 0600: %v", err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		os.Chmod(key.Path, mode)
		_, err := readKeyFile(key.Path)
		if fail.KindOf(err) != fail.Insecure || !strings.Contains(fail.HintOf(err), "chmod 600") {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	// An exposed key named by identity_file stops the dial; nothing is sent.
	os.Chmod(key.Path, 0o644)
	isolate(t)
	d := &Dialer{}
	o := &SSHOptions{Name: "home", Host: "127.0.0.1", Port: 1, User: "u", IdentityFiles: []string{key.Path}}
	if _, err := d.loadKeys(ctx(t), o); fail.KindOf(err) != fail.Insecure {
		t.Fatalf("loadKeys with an exposed identity_file = %v", err)
	}
}
