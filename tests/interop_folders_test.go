package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
	"github.com/fetchsecure/fetchsecure/internal/testlib/interop"
)

// foldersCell fetches INBOX and a folder below it, named as the server names it
// ("INBOX.Lists.go-nuts" on Cyrus and Courier), with maildir_folders, in delete mode:
// the folder's mail must land in the Maildir++ folder .Lists.go-nuts, as Courier
// itself lays it out and as the same folder on Dovecot ("Lists/go-nuts") does.
func foldersCell(t *testing.T, srv interop.Mailstore, ep interop.Endpoint, user string) {
	var detail string
	interop.Record(t, interop.Result{Server: srv.Name(), Protocol: "IMAP", TLS: "TLS", Via: "direct",
		Mode: "folders"}, func() string { return detail })
	inbox := [][]byte{[]byte("Subject: in INBOX\n\nbody 1\n"), []byte("Subject: in INBOX too\n\nbody 2\n")}
	list := [][]byte{[]byte("Subject: on the list\n\nbody 3\n"), []byte("Subject: on the list too\n\nbody 4\n")}
	heldInbox := srv.Fill(t, user, password, "INBOX", inbox)
	heldList := srv.Fill(t, user, password, "Lists/go-nuts", list)
	dir := t.TempDir()
	maildir := filepath.Join(dir, "Maildir")
	cfgPath := foldersConfig(t, dir, srv, ep, user)
	r := testlib.Run(t, testlib.BuildBinary(t, "./cmd/fetchsecure"), "-c", cfgPath, "--once")
	if r.Code != 0 {
		detail = fmt.Sprintf("exit %d: %s", r.Code, firstLine(r.Stderr))
		t.Fatalf("fetchsecure: %s", r)
	}
	for _, f := range []struct {
		dir  string
		held [][]byte
	}{{maildir, heldInbox}, {filepath.Join(maildir, ".Lists.go-nuts"), heldList}} {
		want := make([][]byte, len(f.held))
		for i, h := range f.held {
			want[i] = srv.Expect("imap", h)
		}
		got := testlib.Contents(testlib.ReadMaildir(t, f.dir))
		if s := sameMessages(got, want); s != "" {
			detail = filepath.Base(f.dir) + ": " + s
			testlib.AssertSameMessages(t, got, want)
		}
	}
	if n := srv.Count(t, user, password, "Lists/go-nuts"); n != 0 {
		detail = fmt.Sprintf("%d messages left in the folder on the server", n)
		t.Errorf("%s", detail)
	}
}

// foldersConfig writes the configuration of foldersCell and returns its path.
func foldersConfig(t *testing.T, dir string, srv interop.Mailstore, ep interop.Endpoint, user string) string {
	t.Helper()
	config := strings.Join([]string{
		fmt.Sprintf("state_dir = %q", filepath.Join(dir, "state")),
		"[account.folders]",
		`protocol = "imap"`,
		`host = "127.0.0.1"`,
		fmt.Sprintf("port = %d", ep.Port),
		`tls = "tls"`,
		fmt.Sprintf("ca_file = %q", srv.Anchor().File),
		fmt.Sprintf("user = %q", user),
		fmt.Sprintf("password = %q", password),
		fmt.Sprintf("maildir = %q", filepath.Join(dir, "Maildir")),
		fmt.Sprintf("folders = [\"INBOX\", %q]", srv.Folder("Lists/go-nuts")),
		"maildir_folders = true",
		"keep = false",
	}, "\n") + "\n"
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
