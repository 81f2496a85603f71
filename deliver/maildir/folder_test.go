package maildir

import (
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestFolderPath(t *testing.T) {
	tests := []struct{ folder, want string }{
		{"INBOX", ""},
		{"inbox", ""},
		{"", ""},
		{"Lists/go-nuts", ".Lists.go-nuts"},
		{"Sent", ".Sent"},
		{"[Gmail]/All Mail", ".[Gmail].All Mail"},
		{"Entwürfe", ".Entw&APw-rfe"},
		{"日本語", ".&ZeVnLIqe-"},
		{"a&b", ".a&-b"},
		{"v1.2", ".v1&AC4-2"},
		{"..", ".&AC4ALg-"},
		{".", ".&AC4-"},
		{"../../.ssh", ".&AC4ALg-.&AC4ALg-.&AC4-ssh"},
		{"a\x00b", ".a&AAA-b"},
		{"tab\there", ".tab&AAk-here"},
		{"bad\xffutf8", ".bad&3P8-utf8"},
		{"INBOX/sub", ".INBOX.sub"},
	}
	for _, tt := range tests {
		for _, delim := range []rune{'/', 0} {
			got, err := FolderName(tt.folder, delim)
			if err != nil || got != tt.want {
				t.Errorf("FolderName(%q, %q) = %q, %v; want %q", tt.folder, delim, got, err, tt.want)
			}
		}
		p, err := FolderPath("/home/u/Maildir", tt.folder, '/')
		if want := filepath.Join("/home/u/Maildir", tt.want); err != nil || p != want {
			t.Errorf("FolderPath(%q) = %q, %v; want %q", tt.folder, p, err, want)
		}
	}
	for _, bad := range []string{"/", "/etc", "a//b", "a/", "//"} {
		if got, err := FolderName(bad, '/'); err == nil {
			t.Errorf("FolderName(%q) = %q, want an error", bad, got)
		}
	}
	long := strings.Repeat("ü", 300)
	got, _ := FolderName(long, '/')
	other, _ := FolderName(long+"x", '/')
	if len(got) > maxName || got == other || !strings.Contains(got, "~") {
		t.Errorf("long names: %q (%d bytes) vs %q", got, len(got), other)
	}
}

// TestFolderPathDotDelim: servers that separate levels with '.' (Courier, Cyrus with
// altnamespace off) name "Lists.go-nuts"; a '/' is then part of a level and must not
// become a directory.
func TestFolderPathDotDelim(t *testing.T) {
	tests := []struct{ folder, want string }{
		{"INBOX", ""},
		{"Lists.go-nuts", ".Lists.go-nuts"},
		{"INBOX.Archive 2024", ".INBOX.Archive 2024"},
		{"Entwürfe", ".Entw&APw-rfe"},
		{"a/b", ".a&AC8-b"},
		{"../..", ".&AC8-"},
		{"Lists/go-nuts", ".Lists&AC8-go-nuts"},
	}
	for _, tt := range tests {
		got, err := FolderName(tt.folder, '.')
		if tt.folder == "../.." {
			// ".." "/" ".." with '.' as separator: empty levels are refused.
			if err == nil {
				t.Errorf("FolderName(%q, '.') = %q, want an error", tt.folder, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FolderName(%q, '.') = %q, %v; want %q", tt.folder, got, err, tt.want)
		}
	}
	// The same folder named by a '/' server and a '.' server lands in one place.
	a, _ := FolderName("Lists/go-nuts", '/')
	b, _ := FolderName("Lists.go-nuts", '.')
	if a != b {
		t.Errorf("'/' and '.' servers disagree: %q vs %q", a, b)
	}
}

// decodeName inverts FolderName for names that were not shortened.
func decodeName(t *testing.T, name string) string {
	var levels []string
	for _, level := range strings.Split(name[1:], ".") {
		var out []byte
		for level != "" {
			i := strings.IndexByte(level, '&')
			if i < 0 {
				out = append(out, level...)
				break
			}
			out = append(out, level[:i]...)
			end := strings.IndexByte(level[i:], '-') + i
			if end < i {
				t.Fatalf("unterminated run in %q", name)
			}
			run := level[i+1 : end]
			level = level[end+1:]
			if run == "" {
				out = append(out, '&')
				continue
			}
			raw, err := mutf7.DecodeString(run)
			if err != nil || len(raw)%2 != 0 {
				t.Fatalf("bad base64 %q in %q: %v", run, name, err)
			}
			units := make([]uint16, len(raw)/2)
			for k := range units {
				units[k] = binary.BigEndian.Uint16(raw[2*k:])
			}
			for k := 0; k < len(units); k++ {
				u := units[k]
				if u >= 0xDC80 && u <= 0xDCFF && (k == 0 || !utf16.IsSurrogate(rune(units[k-1])) || units[k-1] >= 0xDC00) {
					out = append(out, byte(u))
					continue
				}
				if utf16.IsSurrogate(rune(u)) && k+1 < len(units) {
					out = utf8.AppendRune(out, utf16.DecodeRune(rune(u), rune(units[k+1])))
					k++
					continue
				}
				out = utf8.AppendRune(out, rune(u))
			}
		}
		levels = append(levels, string(out))
	}
	return strings.Join(levels, "/")
}

func FuzzFolderPath(f *testing.F) {
	for _, s := range []string{"INBOX", "Lists/go-nuts", "..", "../../etc", "/abs", "a\x00b",
		"Entwürfe", "\xff\xfe", ".hidden", "a//b", strings.Repeat("x/", 200), "&", "~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, folder string) {
		for _, delim := range []rune{'/', '.'} {
			checkFolderPath(t, folder, delim)
		}
	})
}

// checkFolderPath asserts what FolderPath promises for one name and separator: one
// component under the root, printable ASCII, and (with '/') reversible.
func checkFolderPath(t *testing.T, folder string, delim rune) {
	t.Helper()
	const root = "/home/u/Maildir"
	p, err := FolderPath(root, folder, delim)
	if err != nil {
		if p != root {
			t.Fatalf("FolderPath(%q) = %q with error %v", folder, p, err)
		}
		return
	}
	if p == root {
		name, _ := FolderName(folder, delim)
		if name != "" {
			t.Fatalf("FolderPath(%q) = root but FolderName = %q", folder, name)
		}
		return
	}
	base := filepath.Base(p)
	if filepath.Dir(p) != root || filepath.Join(root, base) != p {
		t.Fatalf("FolderPath(%q) = %q: not one component under the root", folder, p)
	}
	if base == "." || base == ".." || base[0] != '.' || len(base) > maxName {
		t.Fatalf("FolderPath(%q) = %q: bad component", folder, p)
	}
	for i := 0; i < len(base); i++ {
		if c := base[i]; c < 0x20 || c > 0x7e || c == '/' {
			t.Fatalf("FolderPath(%q) = %q: byte %#x", folder, p, c)
		}
	}
	if full, _ := encodeFolder(folder, delim); delim == '/' && len(full) <= maxName {
		if got := decodeName(t, base); got != folder {
			t.Fatalf("decode(FolderName(%q)) = %q", folder, got)
		}
	}
}
