package interop

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// Cyrus is a private Cyrus IMAP 3.6 (Debian's cyrus-imapd, cyrus-pop3d): IMAP with
// STARTTLS, IMAPS, POP3 with STLS, POP3S and LMTP, all on 127.0.0.1. Users live in a
// sasldb; "cyrus" is the administrator. Its mailboxes use the default namespace:
// INBOX, and folders below it as "INBOX.Lists.go-nuts" (separator ".").
type Cyrus struct {
	IMAP, IMAPS, POP3, POP3S, LMTP int

	CA   *testlib.CA
	Cert *testlib.Cert
	*ns
	adminPass string
}

// CyrusOptions change a Cyrus from Debian's defaults.
type CyrusOptions struct {
	// LMTPOverQuotaPermanent makes lmtpd refuse mail over quota with 5xx
	// (lmtp_over_quota_perm_failure); by default it answers 4xx, as Debian's does.
	LMTPOverQuotaPermanent bool
	// POPMinPoll is popminpoll, the minutes between two POP3 logins of a user; 0 here,
	// 1 in Debian's imapd.conf.
	POPMinPoll int
}

// StartCyrus starts Cyrus; it is killed when the test ends.
func StartCyrus(t testing.TB, opts CyrusOptions) *Cyrus {
	t.Helper()
	c := &Cyrus{ns: newNS(t, "Cyrus"), adminPass: "admin-" + randomWord()}
	c.CA = testlib.NewCA(t)
	c.Cert = c.CA.Issue(t)
	p := ports(t, 5)
	c.IMAP, c.IMAPS, c.POP3, c.POP3S, c.LMTP = p[0], p[1], p[2], p[3], p[4]
	c.Etc("cyrus/cert.pem", c.Cert.CertPEM, 0o644)
	c.Etc("cyrus/key.pem", c.Cert.KeyPEM, 0o644) // read by imapd, which runs as cyrus
	c.Etc("imapd.conf", []byte(c.imapdConf(opts)), 0o644)
	c.Etc("cyrus.conf", []byte(c.cyrusConf()), 0o644)
	c.start(cyrusScript(c.adminPass), func() error {
		return greets(c.IMAP, "* OK ", "Cyrus IMAP")
	})
	return c
}

// imapdConf is Debian's /etc/imapd.conf with these changes: popminpoll 0 (Debian's
// 1 allows one POP3 login per minute), the sasldb in the config directory, an
// administrator, the test's certificate, and no plaintext-password restriction
// beyond Debian's (allowplaintext: yes: the client's policy is what is tested).
func (c *Cyrus) imapdConf(opts CyrusOptions) string {
	lines := []string{
		"configdirectory: /var/lib/cyrus",
		"proc_path: /run/cyrus/proc",
		"mboxname_lockpath: /run/cyrus/lock",
		"defaultpartition: default",
		"partition-default: /var/spool/cyrus/mail",
		"altnamespace: no",
		"unixhierarchysep: no",
		"lmtp_downcase_rcpt: yes",
		fmt.Sprintf("popminpoll: %d", opts.POPMinPoll),
		"autocreate_quota: 0",
		"umask: 077",
		"sieveusehomedir: false",
		"sievedir: /var/spool/sieve",
		"hashimapspool: true",
		"allowplaintext: yes",
		"sasl_pwcheck_method: auxprop",
		"sasl_auxprop_plugin: sasldb",
		"sasl_mech_list: PLAIN LOGIN",
		"sasl_sasldb_path: /var/lib/cyrus/sasldb2",
		"admins: cyrus",
		"servername: localhost",
		"tls_server_cert: /etc/cyrus/cert.pem",
		"tls_server_key: /etc/cyrus/key.pem",
		"lmtpsocket: /run/cyrus/socket/lmtp",
		"idlesocket: /run/cyrus/socket/idle",
		"notifysocket: /run/cyrus/socket/notify",
		"syslog_prefix: cyrus",
	}
	if opts.LMTPOverQuotaPermanent {
		lines = append(lines, "lmtp_over_quota_perm_failure: yes")
	}
	return strings.Join(lines, "\n") + "\n"
}

// cyrusConf runs the services on the instance's ports; "lmtpd -a" lets LMTP clients
// in without authenticating, as a local MTA is.
func (c *Cyrus) cyrusConf() string {
	return fmt.Sprintf(`START {
  recover cmd="/usr/sbin/cyrus ctl_cyrusdb -r"
}
SERVICES {
  imap cmd="imapd -U 30" listen="127.0.0.1:%d" prefork=0 maxchild=100
  imaps cmd="imapd -s -U 30" listen="127.0.0.1:%d" prefork=0 maxchild=100
  pop3 cmd="pop3d -U 30" listen="127.0.0.1:%d" prefork=0 maxchild=50
  pop3s cmd="pop3d -s -U 30" listen="127.0.0.1:%d" prefork=0 maxchild=50
  lmtp cmd="lmtpd -a" listen="127.0.0.1:%d" prefork=0 maxchild=20
  lmtpunix cmd="lmtpd" listen="/run/cyrus/socket/lmtp" prefork=0 maxchild=20
}
EVENTS {
  checkpoint cmd="/usr/sbin/cyrus ctl_cyrusdb -c" period=30
}
`, c.IMAP, c.IMAPS, c.POP3, c.POP3S, c.LMTP)
}

// cyrusScript does what the package's maintainer scripts would (cyrus makedirs) and
// runs the master in the foreground.
func cyrusScript(adminPass string) string {
	return `mkdir -p /var/lib/cyrus /var/spool/cyrus/mail /var/spool/sieve /run/cyrus/proc /run/cyrus/lock /run/cyrus/socket
chown cyrus:mail /var/lib/cyrus /var/spool/cyrus /var/spool/cyrus/mail /run/cyrus /run/cyrus/proc /run/cyrus/lock /run/cyrus/socket
/usr/sbin/cyrus makedirs >/dev/null
printf '%s' '` + adminPass + `' | saslpasswd2 -p -c -f /var/lib/cyrus/sasldb2 -u localhost cyrus 2>/dev/null
chown cyrus:mail /var/lib/cyrus/sasldb2
exec /usr/sbin/cyrmaster -D
`
}

// AddUser adds a sasldb user; its INBOX is created at the first login or delivery
// (autocreate_quota: 0).
func (c *Cyrus) AddUser(t testing.TB, name, password string) {
	t.Helper()
	c.Exec([]byte(password), "saslpasswd2", "-p", "-c", "-f", "/var/lib/cyrus/sasldb2", "-u", "localhost", name)
}

// Folder returns Cyrus's name for a folder given with "/" as separator:
// "Lists/go-nuts" is "INBOX.Lists.go-nuts".
func (c *Cyrus) Folder(name string) string { return dotFolder(name) }

// dotFolder maps a "/"-separated folder to the INBOX.-prefixed, "."-separated
// namespace of Cyrus and Courier.
func dotFolder(name string) string {
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	return "INBOX." + strings.ReplaceAll(name, "/", ".")
}

// Admin logs in as the administrator over IMAPS.
func (c *Cyrus) Admin(t testing.TB) *IMAPClient {
	t.Helper()
	return DialIMAPS(t, c.IMAPS, c.CA, "cyrus", c.adminPass)
}
