package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// StartPostfix starts Debian's Postfix 3.7 in the foreground (postfix start-fg) with
// its own main.cf and master.cf: no chroot, no TLS, smtpd on a loopback port, and the
// virtual delivery agent writing each address of interop.test into its own maildir as
// user vmail. Recipients are refused as by check_recipient_access; an address that is
// not a mailbox is refused at RCPT TO (5.1.1). Postfix adds its Received: field and,
// as the virtual agent always does, Delivered-To: and Return-Path:.
func StartPostfix(t testing.TB) *MTA {
	t.Helper()
	m := &MTA{name: "Postfix 3.7", ns: newNS(t, "Postfix")}
	m.addUser = m.addPostfixUser
	m.SMTP = ports(t, 1)[0]
	m.Etc("postfix/main.cf", []byte(m.mainCf()), 0o644)
	m.Etc("postfix/master.cf", []byte(postfixMaster(m.SMTP)), 0o644)
	m.Etc("postfix/vmailbox", nil, 0o644)
	m.Etc("postfix/rcpt_access", []byte(fmt.Sprintf(
		"%s@interop.test 451 4.3.0 try again later (interop test)\n"+
			"%s@interop.test 550 5.1.1 no such user here (interop test)\n", TempFail, Reject)), 0o644)
	m.start(strings.Join([]string{
		"mkdir -p /var/spool/postfix /var/lib/postfix /var/mail/maildir",
		"chown postfix /var/lib/postfix && chown vmail:vmail /var/mail/maildir",
		"postfix set-permissions >/dev/null 2>&1 || true",
		"postfix check",
		"exec postfix start-fg",
	}, "\n")+"\n", func() error { return greets(m.SMTP, "220 ", "Postfix") })
	return m
}

func (m *MTA) mainCf() string {
	return strings.Join([]string{
		"# Private Postfix for one test, written by internal/testlib/interop.",
		"compatibility_level = 3.6",
		"myhostname = interop.test",
		"mydomain = interop.test",
		"myorigin = interop.test",
		"mydestination =",
		"inet_protocols = ipv4",
		"inet_interfaces = loopback-only",
		"mynetworks = 127.0.0.0/8",
		"queue_directory = /var/spool/postfix",
		"data_directory = /var/lib/postfix",
		"mail_owner = postfix",
		"setgid_group = postdrop",
		"alias_maps =",
		"alias_database =",
		"local_recipient_maps =",
		"relayhost =",
		"biff = no",
		// Mail from 127.0.0.1 is not "local" mail to be completed: with Postfix's
		// default (permit_inet_interfaces) it would add a missing Message-ID:, Date:
		// and From: and qualify bare addresses in headers.
		"local_header_rewrite_clients =",
		"smtpd_tls_security_level = none",
		"smtp_tls_security_level = none",
		"message_size_limit = 104857600",
		"virtual_mailbox_domains = interop.test localhost",
		"virtual_mailbox_base = /var/mail/maildir",
		"virtual_mailbox_maps = texthash:/etc/postfix/vmailbox",
		fmt.Sprintf("virtual_uid_maps = static:%d", m.UID("vmail")),
		fmt.Sprintf("virtual_gid_maps = static:%d", m.GID("vmail")),
		"virtual_mailbox_limit = 0",
		"smtpd_recipient_restrictions = check_recipient_access texthash:/etc/postfix/rcpt_access, " +
			"permit_mynetworks, reject_unauth_destination",
	}, "\n") + "\n"
}

// postfixMaster is Debian's master.cf reduced to what local SMTP delivery needs, every
// service unchrooted, smtpd on 127.0.0.1:port.
func postfixMaster(port int) string {
	rows := []string{
		fmt.Sprintf("127.0.0.1:%d inet n - n - - smtpd", port),
		"pickup unix n - n 60 1 pickup",
		"cleanup unix n - n - 0 cleanup",
		"qmgr unix n - n 300 1 qmgr",
		"rewrite unix - - n - - trivial-rewrite",
		"bounce unix - - n - 0 bounce",
		"defer unix - - n - 0 bounce",
		"trace unix - - n - 0 bounce",
		"verify unix - - n - 1 verify",
		"flush unix n - n 1000? 0 flush",
		"proxymap unix - - n - - proxymap",
		"smtp unix - - n - - smtp",
		"relay unix - - n - - smtp",
		"showq unix n - n - - showq",
		"error unix - - n - - error",
		"retry unix - - n - - error",
		"discard unix - - n - - discard",
		"local unix - n n - - local",
		"virtual unix - n n - - virtual",
		"lmtp unix - - n - - lmtp",
		"anvil unix - - n - 1 anvil",
		"scache unix - - n - 1 scache",
		"postlog unix-dgram n - n - 1 postlogd",
	}
	return strings.Join(rows, "\n") + "\n"
}

// addPostfixUser makes user@interop.test a mailbox (a maildir below
// /var/mail/maildir) and reloads Postfix.
func (m *MTA) addPostfixUser(t testing.TB, user string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(m.Dir, "etc", "postfix", "vmailbox"), os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		_, err = fmt.Fprintf(f, "%s@interop.test %s/\n%s@localhost %s/\n", user, user, user, user)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Exec(nil, "postfix", "reload")
}
