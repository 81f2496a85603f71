package hostile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakeimap"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

// bigSecond is a mailbox whose second message is 20 kB.
var bigSecond = [][]byte{msg(1, 100), msg(2, 20000), msg(3, 100)}

// limitCases check the limits end to end, from the config file to the maildir.
var limitCases = []hcase{
	{name: "limit-skip", extra: []string{`limit = "10KB"`}, msgs: bigSecond,
		delivered: "1 3", remaining: "2", warn: []string{"over the limit of 10000: left on the server"}},
	{name: "limit-fetch", extra: []string{`limit = "10KB"`, `limit_action = "fetch"`}, msgs: bigSecond,
		delivered: "1 2 3", remaining: "-", warn: []string{"fetching it anyway"}},
	{name: "limit-placeholder", extra: []string{`limit = "10KB"`, `limit_action = "placeholder"`}, msgs: bigSecond,
		delivered: "1 3", placeholder: "2", remaining: "2"},
	{name: "pop3-limit-skip", proto: "pop3", extra: []string{`limit = "10KB"`}, msgs: bigSecond,
		delivered: "uid-1 uid-3", remaining: "uid-2"},
	{name: "max-messages", extra: []string{"max_messages = 2"}, runs: []want{ok(), ok()},
		delivered: "1 2 3", remaining: "-", warn: []string{"3 new messages, fetching 2 in this run"}},
	{name: "pop3-max-messages", proto: "pop3", extra: []string{"max_messages = 1"}, runs: []want{ok(), ok(), ok()},
		delivered: "uid-1 uid-2 uid-3", remaining: "-", warn: []string{"fetching 1 in this run"}},
	{name: "max-line-default-accepts-real-flags",
		imap: hook(fakeimap.Before("SELECT", "* FLAGS ("+keywords(400)+")\r\n")), delivered: "1 2 3", remaining: "-"},
	{name: "max-line-override", extra: []string{`max_line_length = "1KiB"`},
		imap: hook(fakeimap.Before("SELECT", "* FLAGS ("+keywords(400)+")\r\n")),
		runs: []want{refused(fail.Protocol, "longer than 1024")}, delivered: "-"},
	{name: "pop3-max-line-override", proto: "pop3", extra: []string{`max_line_length = "1KiB"`},
		pop3:      func(w *world, c *fakepop3.Config) { c.ExtraCaps = []string{"X-VENDOR " + strings.Repeat("v", 2000)} },
		runs:      []want{refused(fail.Protocol, "longer than 1024")},
		delivered: "-"},
	{name: "pop3-max-line-default-accepts-it", proto: "pop3",
		pop3:      func(w *world, c *fakepop3.Config) { c.ExtraCaps = []string{"X-VENDOR " + strings.Repeat("v", 2000)} },
		delivered: "uid-1 uid-2 uid-3", remaining: "-"},

	// Mailbox names (isync CVE-2021-20247): with maildir_folders, every server folder
	// lands inside the maildir, as one Maildir++ directory, or is refused.
	{name: "folder-names-hostile", extra: []string{"maildir_folders = true", hostileFolderList},
		imap:      hostileFolders,
		runs:      []want{refused(fail.Delivery, "empty level")},
		delivered: "../../escaped-rel:1|..:1|.:1|Lists/../../../escaped-deep:1|Tom & Jerry:1|Entwürfe/Ärger:1|INBOX/..:1",
		after:     nothingOutsideTheMaildir},
	{name: "folder-name-nul", extra: []string{"maildir_folders = true", `folders = ["a\u0000b"]`},
		runs: []want{refused(fail.Config, "control character")}, delivered: "-"},
}

func TestLimits(t *testing.T) {
	for _, c := range limitCases {
		runCase(t, c)
	}
}

const hostileFolderList = `folders = ["../../escaped-rel", "..", ".", "Lists/../../../escaped-deep", "Tom & Jerry",
  "Entwürfe/Ärger", "INBOX/..", "/tmp/fetchsecure-escaped-abs"]`

// hostileFolders gives each folder of hostileFolderList one message.
func hostileFolders(w *world, c *fakeimap.Config) {
	for _, name := range []string{"../../escaped-rel", "..", ".", "Lists/../../../escaped-deep", "Tom & Jerry",
		"Entwürfe/Ärger", "INBOX/..", "/tmp/fetchsecure-escaped-abs"} {
		c.Folders = append(c.Folders, fakeimap.Folder{Name: name,
			Messages: []*fakeimap.Message{{UID: 1, Data: []byte("Subject: " + name + "\r\n\r\nfrom " + name + "\r\n")}}})
	}
}

// nothingOutsideTheMaildir: the test directory holds only what the run was asked to
// write, every Maildir++ folder is one component starting with '.', and nothing named
// "escaped" exists outside the maildir.
func nothingOutsideTheMaildir(t *testing.T, w *world) {
	ents, _ := os.ReadDir(w.dir)
	for _, e := range ents {
		if !slices.Contains([]string{"Maildir", "state", "config.toml"}, e.Name()) {
			t.Errorf("unexpected %s in the test directory", e.Name())
		}
	}
	ents, _ = os.ReadDir(w.maildir)
	for _, e := range ents {
		if !slices.Contains([]string{"cur", "new", "tmp"}, e.Name()) && !strings.HasPrefix(e.Name(), ".") {
			t.Errorf("maildir entry %q is not a Maildir++ folder", e.Name())
		}
	}
	filepath.WalkDir(filepath.Dir(w.dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), "escaped") && !strings.HasPrefix(p, w.maildir+"/") {
			t.Errorf("a folder name escaped the maildir: %s", p)
		}
		return nil
	})
	if found, _ := filepath.Glob("/tmp/*escaped*"); len(found) > 0 {
		t.Errorf("a folder name escaped the maildir: %v", found)
	}
}

func keywords(n int) string {
	var k []string
	for i := range n {
		k = append(k, "$Label"+strings.Repeat("x", i%7)+string(rune('a'+i%26)))
	}
	return strings.Join(k, " ")
}
