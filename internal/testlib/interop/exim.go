package interop

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MTA is a private mail transfer agent on 127.0.0.1 (Exim or Postfix) that accepts
// SMTP for the domain "interop.test" (and "localhost") and delivers each local part
// into its own maildir, which the test reads back. Two local parts provoke refusals
// at RCPT TO: TempFail (4xx) and Reject (5xx).
type MTA struct {
	SMTP    int
	name    string
	addUser func(t testing.TB, user string)
	*ns
}

// The local parts an MTA refuses.
const (
	TempFail = "tempfail" // 451 4.3.0 at RCPT TO
	Reject   = "reject"   // 550 5.1.1 at RCPT TO
)

// StartExim starts Debian's Exim 4 (exim4-daemon-light) in the foreground with its
// own configuration: no host lookups, no TLS, immediate delivery by the appendfile
// transport in maildir format as user vmail. Exim adds its Received: field; the
// Envelope-to:, Delivery-date: and Return-path: fields its Debian configuration
// adds are left out, to keep what is added to trace fields.
func StartExim(t testing.TB) *MTA {
	t.Helper()
	m := &MTA{name: "Exim 4.96", ns: newNS(t, "Exim")}
	m.addUser = m.addEximUser
	m.SMTP = ports(t, 1)[0]
	m.Etc("exim4/exim4.conf", []byte(m.eximConf()), 0o644)
	m.start("mkdir -p /var/spool/exim4 /var/mail/maildir\n"+
		"chown Debian-exim:Debian-exim /var/spool/exim4\nchown vmail:vmail /var/mail/maildir\n"+
		"exec exim4 -bdf\n", func() error { return greets(m.SMTP, "220 ", "Exim") })
	return m
}

func (m *MTA) eximConf() string {
	return fmt.Sprintf(`# Private Exim for one test, written by internal/testlib/interop.
primary_hostname = interop.test
domainlist local_domains = interop.test : localhost
daemon_smtp_ports = %d
local_interfaces = 127.0.0.1
spool_directory = /var/spool/exim4
log_file_path = syslog
syslog_timestamp = false
never_users = root
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
acl_smtp_rcpt = acl_check_rcpt
message_size_limit = 100M
keep_environment =
smtp_accept_max_per_host = 100

begin acl
acl_check_rcpt:
  defer   local_parts = %s
          message = 4.3.0 try again later (interop test)
  deny    local_parts = %s
          message = 5.1.1 no such user here (interop test)
  require verify = recipient
  accept  domains = +local_domains
          hosts = 127.0.0.1
  deny    message = relay not permitted

begin routers
local_maildir:
  driver = accept
  domains = +local_domains
  local_parts = dsearch;/var/mail/maildir
  transport = maildir_delivery

begin transports
maildir_delivery:
  driver = appendfile
  directory = /var/mail/maildir/$local_part_data
  maildir_format
  create_directory
  user = vmail
  group = vmail
  mode = 0600
  return_path_add = false
  envelope_to_add = false
  delivery_date_add = false

begin retry
*  *  F,1m,1m
`, m.SMTP, TempFail, Reject)
}

// AddUser makes local part user a mailbox, with a maildir of its own.
func (m *MTA) AddUser(t testing.TB, user string) {
	t.Helper()
	m.addUser(t, user)
}

// addEximUser creates the maildir of local part user: the router accepts only local
// parts that have one (dsearch, which also gives Exim an untainted path).
func (m *MTA) addEximUser(t testing.TB, user string) {
	t.Helper()
	m.Exec(nil, "sh", "-c", `mkdir -p "/var/mail/maildir/$1" && chown vmail:vmail "/var/mail/maildir/$1"`, "sh", user)
}

// Name is the MTA as the compatibility table names it.
func (m *MTA) Name() string { return m.name }

// Delivered returns the messages delivered to local part user, raw as they lie in
// its maildir (the MTA's trace fields included), once the queue is empty: both MTAs
// deliver after they accepted a message, in the background.
func (m *MTA) Delivered(t testing.TB, user string) [][]byte {
	t.Helper()
	m.waitQueue(t)
	return readMaildir(t, m.ns, "/var/mail/maildir/"+user)
}

// waitQueue waits until the MTA's queue is empty. Exim first gets a queue run:
// by default (smtp_accept_queue_per_connection = 10) it only queues the eleventh and
// later messages of one SMTP connection, for the next queue run.
func (m *MTA) waitQueue(t testing.TB) {
	t.Helper()
	if m.name == "Exim 4.96" {
		m.Exec(nil, "exim4", "-q")
	}
	deadline := time.Now().Add(startTimeout)
	for {
		n := m.queued(t)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d messages still queued after %v\n%s", m.name, n, startTimeout, m.LogTail(30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// queued counts the messages in the queue: exim -bpc, or the files in Postfix's
// queue directories.
func (m *MTA) queued(t testing.TB) int {
	t.Helper()
	cmd := "exim4 -bpc"
	if m.name != "Exim 4.96" {
		cmd = "find /var/spool/postfix/maildrop /var/spool/postfix/incoming /var/spool/postfix/active " +
			"/var/spool/postfix/deferred -type f 2>/dev/null | wc -l"
	}
	out := strings.TrimSpace(string(m.Exec(nil, "sh", "-c", cmd)))
	n, err := strconv.Atoi(out)
	if err != nil {
		t.Fatalf("%s: queue size %q: %v", m.name, out, err)
	}
	return n
}
