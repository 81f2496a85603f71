package interop

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// The namespace's /etc/passwd, group and shadow are the host's plus the system users
// the servers run as (a package's maintainer scripts would have added them) and the
// unix mail users a test adds: the host's files are never changed.
var systemUsers = []struct{ user, group string }{
	{"cyrus", "mail"},
	{"courier", "courier"},
	{"popa3d", "popa3d"},
	{"postfix", "postfix"},
	{"Debian-exim", "Debian-exim"},
	{"vmail", "vmail"}, // owns the mailboxes of virtual users (Courier userdb, MTAs)
}

var systemGroups = []string{"postdrop"}

// firstID is where ids for users the host lacks start.
const firstID = 64900

// accounts is the namespace's user database.
type accounts struct {
	passwd, group, shadow []string
	uids, gids            map[string]int
	used                  map[int]bool
}

func writeAccounts(t testing.TB, n *ns) {
	t.Helper()
	a := &accounts{uids: map[string]int{}, gids: map[string]int{}, used: map[int]bool{}}
	a.passwd = readLines(t, "/etc/passwd")
	a.group = readLines(t, "/etc/group")
	a.shadow = readLines(t, "/etc/shadow")
	a.index()
	for _, g := range systemGroups {
		a.addGroup(g)
	}
	for _, u := range systemUsers {
		a.addUser(u.user, u.group, "/nonexistent", "*")
	}
	n.acct = a
	n.writeAccountFiles()
}

func (a *accounts) index() {
	for _, l := range a.passwd {
		f := strings.Split(l, ":")
		if len(f) > 3 {
			id, _ := strconv.Atoi(f[2])
			a.uids[f[0]], a.used[id] = id, true
		}
	}
	for _, l := range a.group {
		f := strings.Split(l, ":")
		if len(f) > 2 {
			id, _ := strconv.Atoi(f[2])
			a.gids[f[0]], a.used[id] = id, true
		}
	}
}

func (a *accounts) freeID() int {
	id := firstID
	for a.used[id] {
		id++
	}
	a.used[id] = true
	return id
}

func (a *accounts) addGroup(name string) int {
	if id, ok := a.gids[name]; ok {
		return id
	}
	id := a.freeID()
	a.gids[name] = id
	a.group = append(a.group, fmt.Sprintf("%s:x:%d:", name, id))
	return id
}

// addUser adds a user whose shadow entry holds hash ("*": no password login).
func (a *accounts) addUser(name, group, home, hash string) {
	if _, ok := a.uids[name]; ok {
		return
	}
	gid := a.addGroup(group)
	id := a.freeID()
	a.uids[name] = id
	a.passwd = append(a.passwd, fmt.Sprintf("%s:x:%d:%d::%s:/usr/sbin/nologin", name, id, gid, home))
	a.shadow = append(a.shadow, fmt.Sprintf("%s:%s:19000:0:99999:7:::", name, hash))
}

func (n *ns) writeAccountFiles() {
	n.Etc("passwd", []byte(strings.Join(n.acct.passwd, "\n")+"\n"), 0o644)
	n.Etc("group", []byte(strings.Join(n.acct.group, "\n")+"\n"), 0o644)
	n.Etc("shadow", []byte(strings.Join(n.acct.shadow, "\n")+"\n"), 0o640)
}

// UnixUser adds a login user with password and home (for servers that
// authenticate through PAM and /etc/shadow). Call it before the server starts.
func (n *ns) UnixUser(name, password, home string) {
	n.t.Helper()
	n.acct.addUser(name, "users", home, n.hash(password))
	n.writeAccountFiles()
}

// hash returns a SHA-512 crypt(3) hash of password, as /etc/shadow and Courier's
// userdb hold them.
func (n *ns) hash(password string) string {
	n.t.Helper()
	cmd := exec.Command("openssl", "passwd", "-6", "-stdin")
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.Output()
	if err != nil {
		n.t.Fatalf("hash a password with openssl: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// UID and GID return the numeric ids of a user and a group of the namespace.
func (n *ns) UID(user string) int  { return n.acct.uids[user] }
func (n *ns) GID(group string) int { return n.acct.gids[group] }

func readLines(t testing.TB, p string) []string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			out = append(out, l)
		}
	}
	return out
}
