package tunnel

import (
	"encoding/hex"
	"testing"
)

// FuzzPins: tls_fingerprint values come from the user. Whatever is accepted comes out as
// exactly 32 bytes of lowercase hex.
func FuzzPins(f *testing.F) {
	for _, s := range []string{"sha256:" + hex.EncodeToString(make([]byte, 32)), "SHA256:AB:CD", "",
		"sha256:" + "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pins, err := parsePins([]string{s})
		if err != nil {
			return
		}
		for p := range pins {
			if b, err := hex.DecodeString(p); err != nil || len(b) != 32 || hex.EncodeToString(b) != p {
				t.Fatalf("parsePins(%q) gave %q", s, p)
			}
		}
	})
}

// FuzzIsLoopback: host names come from the user; only names that parse as loopback
// addresses, or "localhost", are loopback.
func FuzzIsLoopback(f *testing.F) {
	for _, s := range []string{"localhost", "127.0.0.1", "[::1]", "::ffff:127.0.0.1", "imap.example.com", "127.0.0.1.nip.io"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if IsLoopback(s) && len(s) > 64 {
			t.Fatalf("IsLoopback(%q) = true", s)
		}
	})
}
