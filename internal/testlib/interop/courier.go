package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// Courier is a private Courier-IMAP 5 and Courier POP3 (Debian's courier-imap,
// courier-pop): couriertcpd listeners for IMAP with STARTTLS, IMAPS (couriertls),
// POP3 with STLS and POP3S on 127.0.0.1, authdaemond with the userdb module. Every
// user's mail is a maildir owned by vmail; folders are Maildir++ (".Lists.go-nuts"),
// named "INBOX.Lists.go-nuts" over IMAP.
type Courier struct {
	IMAP, IMAPS, POP3, POP3S int

	CA   *testlib.CA
	Cert *testlib.Cert
	*ns
	opts CourierOptions
}

// CourierOptions change a Courier from Debian's defaults.
type CourierOptions struct {
	// NoUIDPLUS leaves UIDPLUS out of the capabilities announced
	// (IMAP_CAPABILITY), as an older or stripped-down server would.
	NoUIDPLUS bool
}

// StartCourier starts Courier; it is killed when the test ends.
func StartCourier(t testing.TB, opts CourierOptions) *Courier {
	t.Helper()
	c := &Courier{ns: newNS(t, "Courier"), opts: opts}
	c.CA = testlib.NewCA(t)
	c.Cert = c.CA.Issue(t)
	p := ports(t, 4)
	c.IMAP, c.IMAPS, c.POP3, c.POP3S = p[0], p[1], p[2], p[3]
	pem := append(append([]byte{}, c.Cert.KeyPEM...), c.Cert.CertPEM...)
	c.Etc("courier/imapd.pem", pem, 0o600)
	c.Etc("courier/pop3d.pem", pem, 0o600)
	c.Etc("courier/authdaemonrc", []byte("authmodulelist=\"authuserdb\"\ndaemons=3\n"+
		"authdaemonvar=/run/courier/authdaemon\nDEBUG_LOGIN=0\nDEFAULTOPTIONS=\"\"\nLOGGEROPTS=\"\"\n"), 0o660)
	c.Etc("courier/userdb", nil, 0o600)
	c.start(c.script(), func() error {
		if err := greets(c.IMAP, "* OK ", "Courier-IMAP"); err != nil {
			return err
		}
		return greets(c.POP3, "+OK ", "Hello there")
	})
	return c
}

// script runs what the init scripts (authdaemond, imapd, imapd-ssl, pop3d,
// pop3d-ssl) run, with Debian's /etc/courier settings but the instance's ports, in the
// foreground: couriertcpd without courierlogger, which would daemonize.
func (c *Courier) script() string {
	env := "env -i sh -c 'set -a; prefix=/usr; exec_prefix=/usr; sbindir=/usr/sbin; bindir=/usr/bin; "
	tcpd := "exec couriertcpd -address=127.0.0.1 -maxprocs=40 -maxperip=40 -nodnslookup -noidentlookup "
	tls := "/usr/bin/couriertls -server -tcpd -user=courier "
	imap := "/usr/lib/courier/courier/imaplogin /usr/bin/imapd Maildir"
	pop3 := "/usr/lib/courier/courier/courierpop3login /usr/lib/courier/courier/courierpop3d Maildir"
	imapEnv := env + ". /etc/courier/imapd; . /etc/courier/imapd-ssl; "
	if c.opts.NoUIDPLUS {
		imapEnv += `IMAP_CAPABILITY="IMAP4rev1 CHILDREN NAMESPACE SORT QUOTA IDLE"; ` +
			`IMAP_CAPABILITY_TLS="$IMAP_CAPABILITY AUTH=PLAIN"; `
	}
	pop3Env := env + ". /etc/courier/pop3d; . /etc/courier/pop3d-ssl; "
	return strings.Join([]string{
		"mkdir -p /run/courier/authdaemon /var/lib/courier /var/mail/vhome",
		"chown courier:courier /var/lib/courier",
		// The init scripts create the TLS session caches owned by courier: the first
		// couriertls to create one otherwise decides its owner, and STARTTLS (which
		// runs couriertls as courier) then fails after answering OK if that was the
		// IMAPS listener, running as root.
		"for f in couriersslimapcache couriersslpop3cache; do touch /var/lib/courier/$f; chown courier:courier /var/lib/courier/$f; chmod 600 /var/lib/courier/$f; done",
		"chown courier /etc/courier/imapd.pem /etc/courier/pop3d.pem", // as mkimapdcert leaves them
		"chown vmail:vmail /var/mail/vhome",
		"makeuserdb",
		"env -i sh -c 'set -a; . /etc/courier/authdaemonrc; exec /usr/lib/courier/courier-authlib/authdaemond' 2>&1 &",
		fmt.Sprintf("%sIMAP_STARTTLS=YES; %s%d %s' 2>&1 &", imapEnv, tcpd, c.IMAP, imap),
		fmt.Sprintf("%sIMAP_TLS=1; %s%d %s%s' 2>&1 &", imapEnv, tcpd, c.IMAPS, tls, imap),
		fmt.Sprintf("%sPOP3_STARTTLS=YES; %s%d %s' 2>&1 &", pop3Env, tcpd, c.POP3, pop3),
		fmt.Sprintf("%sPOP3_TLS=1; %s%d %s%s' 2>&1 &", pop3Env, tcpd, c.POP3S, tls, pop3),
		"wait",
	}, "\n") + "\n"
}

// AddUser adds a userdb user with an empty maildir, owned by vmail.
func (c *Courier) AddUser(t testing.TB, name, password string) {
	t.Helper()
	hash := c.hash(password)
	home := "/var/mail/vhome/" + name
	line := fmt.Sprintf("%s\tuid=%d|gid=%d|home=%s|mail=%s/Maildir|systempw=%s\n",
		name, c.UID("vmail"), c.GID("vmail"), home, home, hash)
	f, err := os.OpenFile(filepath.Join(c.Dir, "etc", "courier", "userdb"), os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		_, err = f.WriteString(line)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	c.Exec(nil, "makeuserdb")
	c.Exec(nil, "sh", "-c", `mkdir -p "$1/Maildir/cur" "$1/Maildir/new" "$1/Maildir/tmp" && chown -R vmail:vmail "$1"`, "sh", home)
}

// Folder returns Courier's name for a folder given with "/" as separator:
// "Lists/go-nuts" is "INBOX.Lists.go-nuts".
func (c *Courier) Folder(name string) string { return dotFolder(name) }
