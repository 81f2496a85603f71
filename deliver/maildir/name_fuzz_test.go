package maildir

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzFileName checks the maildir file name built from any host name: printable
// ASCII without '/', ':' or ',' (so that neither a path nor the ":2," info nor the
// ",S=" size can be forged), one name per host (the escaping is reversible), and a
// size suffix that reads back.
func FuzzFileName(f *testing.F) {
	for _, h := range []string{"laptop", "a/b:c,d\\e", "host\x00name", "\xff\xfe", "münchen", "", " "} {
		f.Add(h, int64(1234))
	}
	f.Fuzz(func(t *testing.T, host string, size int64) {
		esc := escapeHost(host)
		for i := 0; i < len(esc); i++ {
			if c := esc[i]; c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == ',' {
				t.Fatalf("escapeHost(%q) = %q: byte %#x", host, esc, c)
			}
		}
		if got := unescapeHost(t, esc); got != host {
			t.Fatalf("escapeHost(%q) = %q reads back as %q", host, esc, got)
		}
		m := &Maildir{host: esc, pid: 42}
		name := withSize(m.uniqueName(time.Unix(1700000000, 5000)), size)
		if strings.Count(name, ",S=") != 1 || strings.ContainsAny(name, "/:") {
			t.Fatalf("name %q", name)
		}
		if _, s, _ := strings.Cut(name, ",S="); s != strconv.FormatInt(size, 10) {
			t.Fatalf("name %q does not end with its size %d", name, size)
		}
	})
}

// unescapeHost reverses escapeHost's \ooo escapes.
func unescapeHost(t *testing.T, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			n, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
			if err != nil {
				t.Fatalf("bad escape in %q", s)
			}
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
