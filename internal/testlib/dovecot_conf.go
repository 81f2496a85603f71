package testlib

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// identity is who Dovecot's processes run as.
//
// As an ordinary user everything runs as that user: the master cannot change uids, so
// default_internal_user and default_login_user name the user itself and the login
// processes are not chrooted (chroot needs root).
//
// As root, Dovecot refuses to run login processes as root ("This process must not be
// run as root") and mail processes as uid or gid 0 ("Mail access not allowed for
// root": mail-storage-service forbids it whatever first_valid_uid says, and
// passwd-file rejects uid 0 as invalid). So the login and mail processes run as
// nobody, the login processes chrooted as Dovecot does by default, and the test's
// temporary directory is made traversable (0711) so that nobody can reach the homes
// in it. The master, auth, log and config processes stay root; they read the
// passwd-file and the key through the private directory.
type identity struct {
	internalUser, internalGroup string
	loginUser                   string
	chrootLogin                 bool
	mailUID, mailGID            int
}

func currentIdentity(t testing.TB) identity {
	t.Helper()
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("running as root, Dovecot needs the user nobody for mail processes: %v", err)
		}
		uid, gid := atoi(t, nobody.Uid), atoi(t, nobody.Gid)
		return identity{internalUser: "root", internalGroup: "root", loginUser: "nobody",
			chrootLogin: true, mailUID: uid, mailGID: gid}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("Dovecot needs a user name for uid %d: %v", os.Getuid(), err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatalf("Dovecot needs a group name for gid %s: %v", u.Gid, err)
	}
	return identity{internalUser: u.Username, internalGroup: g.Name, loginUser: u.Username,
		mailUID: atoi(t, u.Uid), mailGID: atoi(t, u.Gid)}
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("numeric id %q: %v", s, err)
	}
	return n
}

// openPath makes dir and its parent (both made by t.TempDir) traversable by others,
// and checks that every ancestor already is, so that mail processes running as nobody
// can reach the homes inside.
func openPath(t testing.TB, dir string) {
	t.Helper()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatalf("make %s traversable for Dovecot's mail processes: %v", d, err)
		}
	}
	for d := filepath.Dir(filepath.Dir(dir)); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			t.Fatalf("Dovecot's mail processes (uid nobody) cannot traverse %s; set TMPDIR to a directory every user can reach", d)
		}
		if d == filepath.Dir(d) {
			return
		}
	}
}

// ports are the listeners of one instance, all on 127.0.0.1; 0 means absent.
type ports struct{ imap, imaps, pop3, pop3s, lmtp int }

// dovecotConfig writes the configuration. Settings worth knowing:
//   - auth_failure_delay = 0: Dovecot 2.3 otherwise waits 2 s before every failed
//     login, and tests fail logins on purpose.
//   - disable_plaintext_auth = no: the listeners are on loopback only, and Dovecot
//     counts a connection whose remote and local IPs are equal as secured anyway, so
//     a plaintext LOGIN is accepted either way. That fetchsecure never sends one
//     unencrypted is the client's policy to prove, not the server's.
//   - ssl = no (DisableSTARTTLS): Dovecot 2.3 has no per-listener STARTTLS switch.
//     A listener's "ssl" setting means implicit TLS, and the ssl settings can be
//     filtered by local IP only, not by port. So the hostile variant turns TLS off
//     for the whole instance and has no IMAPS or POP3S listener.
//   - pop3_uidl_format = %08Xu%08Xv: UID and UIDVALIDITY in hex, Dovecot's 2.3
//     default, set explicitly so that the UIDLs tests see cannot change under them.
//   - mail_fsync = never: the rig tests the client's durability, not the server's.
//   - namespace separator "/": "Lists/go-nuts" is a folder in a hierarchy; on disk
//     Maildir++ spells it ".Lists.go-nuts" and non-ASCII names in modified UTF-7.
func (d *Dovecot) writeConfig(t testing.TB, p ports) {
	t.Helper()
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Private Dovecot for one test, written by internal/testlib.")
	w("base_dir = %s", filepath.Join(d.Dir, "run"))
	w("state_dir = %s", filepath.Join(d.Dir, "state"))
	w("log_path = %s", d.logFile())
	w("instance_name = testlib-%d", p.imap)
	w("protocols = imap pop3 lmtp")
	w("listen = 127.0.0.1")
	w("default_internal_user = %s\ndefault_internal_group = %s", d.id.internalUser, d.id.internalGroup)
	w("default_login_user = %s", d.id.loginUser)
	w("first_valid_uid = %d\nfirst_valid_gid = %d", d.id.mailUID, d.id.mailGID)
	w("auth_failure_delay = 0\nauth_mechanisms = plain login\nauth_verbose = yes")
	w("disable_plaintext_auth = no")
	w("stats_writer_socket_path =")
	w("mail_location = maildir:~/Maildir\nmail_fsync = never")
	w("pop3_uidl_format = %%08Xu%%08Xv")
	w("namespace inbox {\n  inbox = yes\n  separator = /\n}")
	w("passdb {\n  driver = passwd-file\n  args = %s\n}", d.passwdFile())
	w("userdb {\n  driver = passwd-file\n  args = %s\n}", d.passwdFile())
	d.writeTLS(w)
	d.writeServices(w, p)
	w("protocol imap {\n  mail_max_userip_connections = 100\n}")
	w("protocol pop3 {\n  mail_max_userip_connections = 100\n}")
	w("%s", d.opts.ExtraConfig)
	if err := os.WriteFile(d.Config, []byte(b.String()), 0o600); err != nil {
		t.Fatalf("write Dovecot config: %v", err)
	}
}

func (d *Dovecot) writeTLS(w func(string, ...any)) {
	if d.opts.DisableSTARTTLS {
		w("ssl = no")
		return
	}
	w("ssl = yes\nssl_cert = <%s\nssl_key = <%s", d.Cert.CertFile, d.Cert.KeyFile)
}

func (d *Dovecot) writeServices(w func(string, ...any), p ports) {
	chroot := "  chroot =\n"
	if d.id.chrootLogin {
		chroot = ""
	}
	listener := func(name string, port int, tls bool) string {
		if port == 0 {
			return ""
		}
		s := fmt.Sprintf("  inet_listener %s {\n    port = %d\n", name, port)
		if tls {
			s += "    ssl = yes\n"
		}
		return s + "  }\n"
	}
	w("service imap-login {\n%s%s%s}", chroot, listener("imap", p.imap, false), listener("imaps", p.imaps, true))
	w("service pop3-login {\n%s%s%s}", chroot, listener("pop3", p.pop3, false), listener("pop3s", p.pop3s, true))
	w("service lmtp {\n  unix_listener lmtp {\n    mode = 0666\n  }\n%s}", listener("lmtp", p.lmtp, false))
	w("service anvil {\n  chroot =\n}")
}
