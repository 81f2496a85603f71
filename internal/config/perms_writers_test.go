package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

func TestWritableConfigIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	src := "[account.a]\nprotocol = \"imap\"\nhost = \"mail.example.org\"\nuser = \"u\"\npassword_command = [\"pass\"]\nmaildir = \"" + dir + "/Maildir\"\n"
	for mode, refused := range map[os.FileMode]bool{0o600: false, 0o644: false, 0o664: true, 0o646: true} {
		os.WriteFile(path, []byte(src), 0o600)
		os.Chmod(path, mode)
		_, err := Load(path)
		var probs *Problems
		if !refused {
			if err != nil {
				t.Errorf("mode %04o: %v", mode, err)
			}
			continue
		}
		if fail.KindOf(err) != fail.Insecure || !errors.As(err, &probs) || !strings.Contains(err.Error(), "chmod go-w") {
			t.Errorf("mode %04o: err = %v (kind %v), want an insecure-permissions refusal with the fix", mode, err, fail.KindOf(err))
		}
	}
}
