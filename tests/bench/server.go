package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// password is every benchmark user's password.
const password = "bench-Pa55"

// servers are the private Dovecot and the sshd that forwards to it.
type servers struct {
	t          testing.TB
	dc         *testlib.Dovecot
	sshd       *testlib.SSHD
	key        *testlib.SSHKey
	knownHosts string
	uid, gid   int // owner of mail files (nobody when running as root)
	epoch      int64
	seq        int64
}

// users are every Dovecot user of the harness. They are added before Dovecot first
// looks one up: a user added to the passwd-file just after a lookup can stay
// unknown for a while.
func users() []string {
	us := []string{"bench", "bench-tenth", "big"}
	for i := range accounts {
		us = append(us, fmt.Sprintf("acct%d", i))
	}
	return us
}

func startServers(t testing.TB, dir string) *servers {
	s := &servers{t: t, epoch: time.Now().Unix()}
	s.dc = testlib.StartDovecot(t, testlib.DovecotOptions{})
	s.sshd = testlib.StartSSHD(t, testlib.SSHDOptions{})
	s.key = testlib.NewSSHKey(t, dir, "ed25519", "")
	s.sshd.AuthorizeKey(s.key.Public)
	s.knownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(s.knownHosts, []byte(s.sshd.KnownHostsLine()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range users() {
		s.dc.AddUser(t, u, password)
	}
	s.dc.AddUserFields(t, hugeUser, password, "userdb_mail=mbox:~/mail:INBOX=~/inbox")
	fi, err := os.Stat(s.dc.Home(t, "bench"))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	s.uid, s.gid = int(st.Uid), int(st.Gid)
	return s
}

// own gives a file to Dovecot's mail user.
func (s *servers) own(p string) {
	if os.Geteuid() != 0 {
		return
	}
	if err := os.Chown(p, s.uid, s.gid); err != nil {
		s.t.Fatalf("chown %s: %v", p, err)
	}
}

// inbox returns the maildir of user's INBOX, creating it.
func (s *servers) inbox(user string) string {
	s.dc.CreateFolder(s.t, user, "INBOX")
	return strings.TrimSpace(string(s.dc.Doveadm(s.t, "mailbox", "path", "-u", user, "INBOX")))
}

// fill links the first n corpus messages into user's INBOX and waits until Dovecot
// has numbered them, so that no run pays for the first scan of the folder.
func (s *servers) fill(user string, c *corpus, n int) {
	dir := s.inbox(user)
	for i := range n {
		s.seq++
		name := fmt.Sprintf("%d.M%06dP%dQ%d.bench", s.epoch+s.seq/1e6, s.seq%1e6, os.Getpid(), s.seq)
		if err := os.Link(c.path(i), filepath.Join(dir, "new", name)); err != nil {
			s.t.Fatalf("fill %s: %v", user, err)
		}
	}
	s.expectCount(user, n)
}

// count returns how many messages user's INBOX holds, as Dovecot sees it (the status
// request also makes Dovecot index new files).
func (s *servers) count(user string) int {
	out := s.dc.Doveadm(s.t, "-f", "flow", "mailbox", "status", "-u", user, "messages", "INBOX")
	_, v, _ := strings.Cut(strings.TrimSpace(string(out)), "messages=")
	n, err := strconv.Atoi(strings.Fields(v + " x")[0])
	if err != nil {
		s.t.Fatalf("doveadm mailbox status: unexpected output %q", out)
	}
	return n
}

func (s *servers) expectCount(user string, n int) {
	if got := s.count(user); got != n {
		s.t.Fatalf("%s's INBOX holds %d messages, want %d", user, got, n)
	}
}

// empty removes every message of user's INBOX.
func (s *servers) empty(user string) {
	s.dc.Doveadm(s.t, "expunge", "-u", user, "mailbox", "INBOX", "all")
	s.expectCount(user, 0)
}
