package maildir

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestInNamespace maps the folder names of servers whose personal namespace is
// "INBOX." with '.' (Cyrus, Courier) the way Courier lays them out on disk, and so
// to the same directories as the same folders on Dovecot.
func TestInNamespace(t *testing.T) {
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
		{"INBOX.Lists.go-nuts", '.', "", ".INBOX.Lists.go-nuts"}, // Dovecot: a child of INBOX
		{"INBOX.a/b", '.', "INBOX.", ".a&AC8-b"},                 // '/' inside a level is encoded
		{"INBOX.Entwürfe", '.', "INBOX.", ".Entw&APw-rfe"},       // as Courier names it
		{"Archive.2024", '.', "INBOX.", ".Archive.2024"},         // outside the prefix: kept
		{"Mail/x", '/', "mail/", ".Mail.x"},                      // only INBOX matches in any case
		{"mail/x", '/', "mail/", ".x"},
	} {
		got, err := FolderName(InNamespace(tt.folder, tt.prefix), tt.delim)
		if err != nil || got != tt.want {
			t.Errorf("FolderName(InNamespace(%q, %q), %q) = %q, %v; want %q", tt.folder, tt.prefix, tt.delim, got, err, tt.want)
		}
	}
	for _, bad := range []string{"INBOX..x", "INBOX.x.", "INBOX."} {
		if got, err := FolderName(InNamespace(bad, "INBOX."), '.'); err == nil {
			t.Errorf("FolderName(InNamespace(%q)) = %q, want an error for an empty level", bad, got)
		}
	}
}

// TestStageUsesEnvelopePrefix delivers a message of Cyrus's "INBOX.Lists.go-nuts"
// into .Lists.go-nuts.
func TestStageUsesEnvelopePrefix(t *testing.T) {
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
