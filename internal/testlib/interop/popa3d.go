package interop

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// Popa3d is a plaintext POP3 daemon (Debian's popa3d) wrapped in TLS by stunnel, the
// Debian manual's `stunnel -p cert.pem -d pop3s -l /usr/sbin/popd`: stunnel accepts
// POP3S on 127.0.0.1 and runs popa3d per connection in inetd mode. Users are unix
// users (PAM, /etc/shadow) with an mbox in /var/mail.
type Popa3d struct {
	POP3S int

	CA   *testlib.CA
	Cert *testlib.Cert
	*ns
}

// StartPopa3d starts stunnel in front of popa3d; it is killed when the test ends.
func StartPopa3d(t testing.TB) *Popa3d {
	t.Helper()
	p := &Popa3d{ns: newNS(t, "popa3d")}
	p.CA = testlib.NewCA(t)
	p.Cert = p.CA.Issue(t)
	p.POP3S = ports(t, 1)[0]
	p.Etc("stunnel/pop3s.pem", append(append([]byte{}, p.Cert.KeyPEM...), p.Cert.CertPEM...), 0o600)
	p.Etc("stunnel/pop3s.conf", []byte(fmt.Sprintf(`foreground = yes
pid =
syslog = yes
debug = notice
[pop3s]
accept = 127.0.0.1:%d
cert = /etc/stunnel/pop3s.pem
exec = /usr/sbin/popa3d
execArgs = popa3d
`, p.POP3S)), 0o644)
	p.start("mkdir -p /var/lib/popa3d /var/mail\nchgrp mail /var/mail\nchmod 2775 /var/mail\n"+
		"exec stunnel4 /etc/stunnel/pop3s.conf\n", p.greetsTLS)
	return p
}

// AddUser adds a unix user (popa3d authenticates through PAM and /etc/shadow) with an
// empty mbox in /var/mail.
func (p *Popa3d) AddUser(t testing.TB, name, password string) {
	t.Helper()
	p.UnixUser(name, password, "/nonexistent")
	p.Exec(nil, "sh", "-c", `touch "/var/mail/$1" && chown "$1:mail" "/var/mail/$1" && chmod 660 "/var/mail/$1"`, "sh", name)
}

// greetsTLS checks that popa3d answers through stunnel: its greeting is a bare "+OK".
func (p *Popa3d) greetsTLS() error {
	cfg := &tls.Config{RootCAs: p.CA.Pool(), ServerName: "127.0.0.1"}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", testlib.Addr(p.POP3S), cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "+OK\r\n" {
		return fmt.Errorf("popa3d greets %q: %v", line, err)
	}
	return nil
}

// Store appends msgs to user's mbox (/var/mail/user) as a local MDA does (mboxo, as
// Exim's and Postfix's local delivery): a "From " separator line with the time of
// delivery (one second apart here), each body line starting with "From " quoted as
// ">From ", a final newline if missing, and an empty line. It returns the messages as
// popa3d finds them in the mbox, LF form.
func (p *Popa3d) Store(t testing.TB, user string, msgs ...[]byte) [][]byte {
	t.Helper()
	var mbox bytes.Buffer
	held := make([][]byte, len(msgs))
	for i, m := range msgs {
		q := mboxQuote(m)
		at := time.Unix(1704067200+deliverySeq.Add(1), 0).UTC()
		mbox.WriteString("From sender@example.org " + at.Format("Mon Jan _2 15:04:05 2006") + "\n")
		mbox.Write(q)
		mbox.WriteString("\n")
		held[i] = q
	}
	p.Exec(mbox.Bytes(), "sh", "-c", `cat >>"/var/mail/$1"`, "sh", user)
	return held
}

// mboxQuote quotes "From " at the start of a line and ends m with a newline.
func mboxQuote(m []byte) []byte {
	var b bytes.Buffer
	for line := range bytes.Lines(m) {
		if bytes.HasPrefix(line, []byte("From ")) {
			b.WriteByte('>')
		}
		b.Write(line)
	}
	if b.Len() == 0 || b.Bytes()[b.Len()-1] != '\n' {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Mbox returns user's mbox file as it is now.
func (p *Popa3d) Mbox(t testing.TB, user string) []byte {
	t.Helper()
	return p.Exec(nil, "cat", "/var/mail/"+user)
}
