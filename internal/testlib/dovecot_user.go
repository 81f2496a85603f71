package testlib

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// AddUserFields is AddUser with extra userdb fields for this user, such as
// "userdb_mail=mbox:~/mail:INBOX=~/inbox" to store the user's mail in another format
// than the instance's maildir (the benchmark keeps a 100,000-message folder in one
// mbox file, which takes no time to write). Append, Messages and CreateFolder know only
// maildirs: with another format, the caller writes the mail itself.
func (d *Dovecot) AddUserFields(t testing.TB, name, password string, fields ...string) {
	t.Helper()
	if name == "" || strings.ContainsAny(name+password, ":\r\n\x00") || strings.ContainsAny(name, "/") {
		t.Fatalf("AddUser(%q): passwd-file user names and passwords cannot hold ':', '/', CR, LF or NUL", name)
	}
	extra := strings.Join(fields, " ")
	if strings.ContainsAny(extra, "\r\n\x00") { // colons are fine: the extra fields come last
		t.Fatalf("AddUserFields(%q): fields cannot hold CR, LF or NUL", name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.users[name]; ok {
		t.Fatalf("AddUser(%q): user exists", name)
	}
	home := filepath.Join(d.Dir, "home", name)
	mkdir(t, home, 0o700)
	if os.Geteuid() == 0 {
		if err := os.Chown(home, d.id.mailUID, d.id.mailGID); err != nil {
			t.Fatalf("chown %s: %v", home, err)
		}
	}
	// passwd-file fields: user:password:uid:gid:(gecos):home:(shell):extra (Dovecot
	// wiki, AuthDatabase/PasswdFile); the extra fields may hold colons, being last.
	line := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::%s\n", name, password, d.id.mailUID, d.id.mailGID, home, extra)
	f, err := os.OpenFile(d.passwdFile(), os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		_, err = f.WriteString(line)
		err = closeWith(f, err)
	}
	if err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
	d.users[name] = home
}
