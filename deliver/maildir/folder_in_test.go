package maildir

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFolderNameIn maps the folder names of servers whose delimiter is not '/' and
// whose personal namespace is "INBOX." (Cyrus, Courier) the way Courier lays them
// out on disk, and the same folder on Dovecot to the same directory.
func TestFolderNameIn(t *testing.T) {
	for _, tt := range []struct {
		folder string
		delim  rune
		prefix string
		want   string
	}{
		{"INBOX", '.', "INBOX.", ""},
		{"inbox", '.', "INBOX.", ""},
		{"INBOX.Lists.go-nuts", '.', "INBOX.", ".Lists.go-nuts"},
		{"inbox.Lists.go-nuts", '.', "INBOX.", ".Lists.go-nuts"},
		{"Lists/go-nuts", '/', "", ".Lists.go-nuts"},
		{"Lists/go-nuts", 0, "", ".Lists.go-nuts"},
		{"INBOX.a/b", '.', "INBOX.", ".a&AC8-b"},           // '/' inside a level is encoded
		{"Lists.go-nuts", '/', "", ".Lists&AC4-go-nuts"},   // '.' inside a level is encoded
		{"INBOX.Entwürfe", '.', "INBOX.", ".Entw&APw-rfe"}, // as Courier names it
		{"Archive.2024", '.', "INBOX.", ".Archive.2024"},   // outside the prefix: kept
		{"Mail/x", '/', "mail/", ".Mail.x"},                // only INBOX matches in any case
	} {
		got, err := FolderNameIn(tt.folder, tt.delim, tt.prefix)
		if err != nil || got != tt.want {
			t.Errorf("FolderNameIn(%q, %q, %q) = %q, %v; want %q", tt.folder, tt.delim, tt.prefix, got, err, tt.want)
		}
	}
	for _, bad := range []string{"INBOX..x", "INBOX.x.", "INBOX."} {
		if got, err := FolderNameIn(bad, '.', "INBOX."); err == nil {
			t.Errorf("FolderNameIn(%q) = %q, want an error for an empty level", bad, got)
		}
	}
}

// TestStageUsesEnvelopeHierarchy delivers a message of Cyrus's "INBOX.Lists.go-nuts"
// into .Lists.go-nuts.
func TestStageUsesEnvelopeHierarchy(t *testing.T) {
	root := t.TempDir()
	m := newMaildir(t, root, Options{Folders: true})
	env := envelope("INBOX.Lists.go-nuts", 7)
	env.Delim, env.Prefix = '.', "INBOX."
	publish(t, m, stage(t, m, env, strings.NewReader("Subject: x\n\nbody\n")))
	got, err := filepath.Glob(filepath.Join(root, ".Lists.go-nuts", "new", "*"))
	if err != nil || len(got) != 1 {
		t.Fatalf("files in .Lists.go-nuts/new: %v, %v", got, err)
	}
}
