package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// anchorSpec describes an anchor: the program it needs and how to run it. Configs
// follow shared/research/anchor-results.md: each tool delivers into a fresh maildir
// with a fresh state (so it fetches everything), keeps the mail on the server, and
// verifies Dovecot's certificate against the benchmark CA.
type anchorSpec struct {
	name, proto, transport string
	program                string   // looked up in PATH
	versionArgs            []string // prints the version on the first line
	config                 func(b *bench, dir, maildir string, bx *box) (*exec.Cmd, error)
}

var anchorSpecs = []anchorSpec{
	{"mbsync (FSync yes)", "IMAP", "TLS", "mbsync", []string{"--version"}, mbsyncConfig},
	{"mpop", "POP3", "TLS", "mpop", []string{"--version"}, mpopConfig},
	{"fetchmail (mda procmail)", "IMAP", "TLS", "fetchmail", []string{"--version"}, fetchmailTLS},
	{"fetchmail (ssh -W plugin)", "IMAP", "SSH", "fetchmail", []string{"--version"}, fetchmailSSH},
	{"getmail6", "IMAP", "TLS", "getmail", []string{"--version"}, getmailConfig},
}

// anchorTool returns the tool for spec, or the reason it cannot run.
func (b *bench) anchorTool(spec anchorSpec, bx *box) (*tool, string) {
	if _, err := exec.LookPath(spec.program); err != nil {
		return nil, spec.program + " is not installed (make bench-deps)"
	}
	if spec.program == "fetchmail" { // delivers through procmail
		if _, err := exec.LookPath("procmail"); err != nil {
			return nil, "procmail is not installed (make bench-deps)"
		}
	}
	v := version(spec.program, spec.versionArgs...)
	return &tool{name: spec.name, proto: spec.proto, transport: spec.transport, kind: anchor, box: bx, version: v,
		command: func(dir string) (*exec.Cmd, string, error) {
			md := filepath.Join(dir, "Maildir")
			for _, sub := range []string{"tmp", "new", "cur"} {
				if err := os.MkdirAll(filepath.Join(md, sub), 0o700); err != nil {
					return nil, "", err
				}
			}
			cmd, err := spec.config(b, dir, md, bx)
			if cmd != nil {
				cmd.Env = append(os.Environ(), "HOME="+dir, "FETCHMAILHOME="+dir)
			}
			return cmd, md, err
		}}, ""
}

// mbsync: a Pull channel from the IMAPS store to a maildir, FSync yes (its default).
func mbsyncConfig(b *bench, dir, maildir string, bx *box) (*exec.Cmd, error) {
	rc := fmt.Sprintf(`FSync yes

IMAPAccount bench
Host localhost
Port %d
User %s
Pass %s
SSLType IMAPS
SystemCertificates no
CertificateFile %s

IMAPStore far
Account bench

MaildirStore near
Path %s/
Inbox %s

Channel bench
Far :far:
Near :near:
Patterns INBOX
Sync Pull
Create Near
Expunge None
SyncState *
`, b.srv.dc.IMAPS, bx.user, password, b.srv.dc.CA.File, dir, maildir)
	path := filepath.Join(dir, "mbsyncrc")
	return exec.Command("mbsync", "-q", "-c", path, "bench"), writeFile(path, rc)
}

// mpop: POP3 over implicit TLS into a maildir, keeping the mail, no Received: header.
func mpopConfig(b *bench, dir, maildir string, bx *box) (*exec.Cmd, error) {
	rc := fmt.Sprintf(`account bench
host localhost
port %d
tls on
tls_starttls off
tls_trust_file %s
user %s
password %s
keep on
only_new on
uidls_file %s
received_header off
delivery maildir %s
`, b.srv.dc.POP3S, b.srv.dc.CA.File, bx.user, password, filepath.Join(dir, "uidls"), maildir)
	path := filepath.Join(dir, "mpoprc")
	return exec.Command("mpop", "-q", "-C", path, "bench"), writeFile(path, rc)
}

// procmailrc delivers every message into maildir (a trailing slash means maildir).
func procmailrc(dir, maildir string) (string, error) {
	path := filepath.Join(dir, "procmailrc")
	return path, writeFile(path, fmt.Sprintf("LOGFILE=%s/procmail.log\n\n:0\n%s/\n", dir, maildir))
}

// fetchmail: keep and fetchall (fetchmail otherwise skips \Seen mail, and marks what
// it fetches \Seen), every message piped to procmail.
func fetchmailRun(dir, poll string) (*exec.Cmd, error) {
	path := filepath.Join(dir, "fetchmailrc")
	if err := writeFile(path, "set no syslog\n"+poll); err != nil {
		return nil, err
	}
	return exec.Command("fetchmail", "--nodetach", "-s", "-f", path), nil
}

// fetchmailUser is the user part of a poll entry; options holds user options such as
// ssl, which fetchmail accepts only after "user".
func fetchmailUser(dir, maildir string, bx *box, options string) (string, error) {
	rc, err := procmailrc(dir, maildir)
	return fmt.Sprintf("  user %q there with password %q is %q here\n  keep fetchall no rewrite\n"+
		"  mda \"/usr/bin/procmail -m %s\"\n  %s\n", bx.user, password, currentUser(), rc, options), err
}

func fetchmailTLS(b *bench, dir, maildir string, bx *box) (*exec.Cmd, error) {
	user, err := fetchmailUser(dir, maildir, bx, fmt.Sprintf("ssl sslcertck sslcertfile %q sslcommonname \"localhost\"", b.srv.dc.CA.File))
	if err != nil {
		return nil, err
	}
	poll := fmt.Sprintf("poll 127.0.0.1 with proto IMAP port %d\n%s", b.srv.dc.IMAPS, user)
	return fetchmailRun(dir, poll)
}

// fetchmailSSH reaches Dovecot's plaintext IMAP port through `ssh -W`, the ssh plugin
// setup fetchsecure's in-process tunnel replaces.
func fetchmailSSH(b *bench, dir, maildir string, bx *box) (*exec.Cmd, error) {
	user, err := fetchmailUser(dir, maildir, bx, "sslproto ''")
	if err != nil {
		return nil, err
	}
	s := b.srv
	plugin := fmt.Sprintf("ssh -q -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s "+
		"-o IdentitiesOnly=yes -i %s -p %d %s@%s -W %%h:%%p", s.knownHosts, s.key.Path, s.sshd.Port, s.sshd.User, s.sshd.Host)
	poll := fmt.Sprintf("poll 127.0.0.1 with proto IMAP port %d plugin %q\n%s", s.dc.IMAP, plugin, user)
	return fetchmailRun(dir, poll)
}

// getmail6: SimpleIMAPSSLRetriever into a maildir, read_all, no headers of its own.
// getmail refuses to deliver as root: then it delivers as Dovecot's mail user.
//
// getmail forks a child per message and waits for a condition its SIGCHLD handler
// signals; when the child exits before the wait begins, the wake-up is lost and the
// run aborts after the socket timeout ("waiting child pid N timed out"). timeout = 30
// (default 180) only shortens that wait; nothing here is slower than 30 s.
func getmailConfig(b *bench, dir, maildir string, bx *box) (*exec.Cmd, error) {
	asUser := ""
	if os.Geteuid() == 0 {
		asUser = "user = nobody\n"
		for _, p := range []string{maildir, filepath.Join(maildir, "tmp"), filepath.Join(maildir, "new"), filepath.Join(maildir, "cur")} {
			b.srv.own(p)
		}
	}
	rc := fmt.Sprintf(`[retriever]
type = SimpleIMAPSSLRetriever
server = localhost
port = %d
username = %s
password = %s
ca_certs = %s
mailboxes = ("INBOX",)
timeout = 30

[destination]
type = Maildir
path = %s/
%s
[options]
verbose = 0
read_all = true
delete = false
delivered_to = false
received = false
record_mailbox = false
`, b.srv.dc.IMAPS, bx.user, password, b.srv.dc.CA.File, maildir, asUser)
	path := filepath.Join(dir, "getmailrc")
	return exec.Command("getmail", "--rcfile="+path, "--getmaildir="+dir), writeFile(path, rc)
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if os.Geteuid() == 0 {
		return "root"
	}
	return strings.TrimSpace(version("id", "-un"))
}
