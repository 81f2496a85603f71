package testlib

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAddUserFieldsSelectsTheMailFormat(t *testing.T) {
	d := StartDovecot(t, DovecotOptions{})
	d.AddUserFields(t, "mboxer", "pw", "userdb_mail=mbox:~/mail:INBOX=~/inbox")
	home := d.Home(t, "mboxer")
	mbox := "From a@example.org Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody one\n\n" +
		"From a@example.org Mon Jan  1 00:00:00 2024\nSubject: two\n\nbody two\n\n"
	d.mkdirMail(t, filepath.Join(home, "mail"))
	inbox := filepath.Join(home, "inbox")
	if err := os.WriteFile(inbox, []byte(mbox), 0o600); err != nil {
		t.Fatal(err)
	}
	d.chownMail(t, inbox)
	out := string(d.Doveadm(t, "-f", "flow", "mailbox", "status", "-u", "mboxer", "messages", "INBOX"))
	if !strings.Contains(out, "messages=2") {
		t.Fatalf("doveadm mailbox status: %q, want messages=2 from the mbox", out)
	}
}
