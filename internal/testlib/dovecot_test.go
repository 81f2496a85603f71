package testlib

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// testFolders are the folders the corpus goes into: INBOX, a name with a space, a
// non-ASCII one and one in a hierarchy.
var testFolders = []string{"INBOX", "Archive 2024", "Entwürfe", "Lists/go-nuts"}

// serveCorpus is the nasty corpus with a small attachment, plus the edge cases of
// ExpectPOP3 that no ordinary message has.
func serveCorpus() []Message {
	return append(NastyWith(256<<10),
		Message{"empty", nil},
		Message{"cr-at-end", []byte("Subject: cr\n\nlast\r")},
		Message{"crcrlf", []byte("Subject: crcrlf\r\n\r\nabc\r\r\nx\r\r\n")},
		Message{"header-no-newline", []byte("Subject: x")},
		Message{"control-bytes", []byte("Subject: \x01\x7f\x1b\n\n\x01\x1b[0m\x7f\xff\n")},
	)
}

// TestDovecotServes stores the corpus byte for byte, reads it back over IMAPS and
// POP3S, and checks that Dovecot serves what ExpectIMAP and ExpectPOP3 say.
func TestDovecotServes(t *testing.T) {
	d := StartDovecot(t, DovecotOptions{})
	t.Logf("Dovecot listening %v after exec", d.StartupTime())
	d.AddUser(t, "alice", "secret")
	corpus := serveCorpus()
	var source [][]byte
	for _, m := range corpus {
		source = append(source, m.Data)
	}
	for _, folder := range testFolders {
		d.Append(t, "alice", folder, source...)
	}
	for _, folder := range testFolders {
		stored := d.Messages(t, "alice", folder)
		compare(t, "stored in "+folder, corpus, stored, func(b []byte) []byte { return b })
	}
	for _, folder := range testFolders {
		compare(t, "IMAP "+folder, corpus, imapFetchAll(t, d, "alice", "secret", folder), ExpectIMAP)
	}
	compare(t, "POP3", corpus, dialPOP3S(t, d, "alice", "secret").retrAll(), ExpectPOP3)
}

// compare checks got[i] == expect(corpus[i].Data), in order.
func compare(t *testing.T, what string, corpus []Message, got [][]byte, expect func([]byte) []byte) {
	t.Helper()
	if len(got) != len(corpus) {
		t.Fatalf("%s: %d messages, want %d", what, len(got), len(corpus))
	}
	for i, m := range corpus {
		if diff := Diff(got[i], expect(m.Data)); diff != "" {
			t.Errorf("%s, message %s: %s", what, m.Name, diff)
		}
	}
}

// TestExpectMatchesPlainTransform keeps the claims of ExpectIMAP/ExpectPOP3 honest: only
// NUL (IMAP) and the final newline (POP3) differ from the line-ending conversion.
func TestExpectMatchesPlainTransform(t *testing.T) {
	for _, tt := range []struct{ in, imap, pop3 string }{
		{"a\r\nb\r\n", "a\nb\n", "a\nb\n"},
		{"a\x00b\n", "a\x80b\n", "a\x00b\n"},
		{"no newline", "no newline", "no newline\n"},
		{"cr\r", "cr\r", "cr\r\n"},
		{"", "", "\n"},
	} {
		if got := string(ExpectIMAP([]byte(tt.in))); got != tt.imap {
			t.Errorf("ExpectIMAP(%q) = %q, want %q", tt.in, got, tt.imap)
		}
		if got := string(ExpectPOP3([]byte(tt.in))); got != tt.pop3 {
			t.Errorf("ExpectPOP3(%q) = %q, want %q", tt.in, got, tt.pop3)
		}
	}
}

func TestDovecotSTARTTLS(t *testing.T) {
	for _, disabled := range []bool{false, true} {
		d := StartDovecot(t, DovecotOptions{DisableSTARTTLS: disabled})
		imapCaps := greeting(t, d.IMAP, "a CAPABILITY\r\n", "a OK")
		pop3Caps := greeting(t, d.POP3, "CAPA\r\n", ".\r\n")
		if got := strings.Contains(imapCaps, "STARTTLS"); got == disabled {
			t.Errorf("DisableSTARTTLS=%v: IMAP capabilities %q", disabled, imapCaps)
		}
		if got := strings.Contains(pop3Caps, "STLS"); got == disabled {
			t.Errorf("DisableSTARTTLS=%v: POP3 CAPA %q", disabled, pop3Caps)
		}
		if disabled {
			if d.IMAPS != 0 || d.POP3S != 0 {
				t.Errorf("DisableSTARTTLS: IMAPS port %d, POP3S port %d, want none", d.IMAPS, d.POP3S)
			}
			continue
		}
		d.AddUser(t, "bob", "pw")
		c, err := imapclient.DialStartTLS(Addr(d.IMAP), &imapclient.Options{TLSConfig: d.CA.ClientConfig("")})
		if err != nil {
			t.Fatalf("DialStartTLS: %v", err)
		}
		if err := c.Login("bob", "pw").Wait(); err != nil {
			t.Errorf("Login after STARTTLS: %v", err)
		}
		c.Close()
	}
}

// greeting connects to port, sends cmd, and returns everything read up to the line
// that starts with end.
func greeting(t *testing.T, port int, cmd, end string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", Addr(port), 10*time.Second)
	if err != nil {
		t.Fatalf("dial %d: %v", port, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, cmd); err != nil {
		t.Fatalf("send %q: %v", cmd, err)
	}
	var b strings.Builder
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if err != nil || strings.HasPrefix(line, end) {
			return b.String()
		}
	}
}

func TestDovecotServerCertificate(t *testing.T) {
	ca := NewCA(t)
	d := StartDovecot(t, DovecotOptions{CA: ca, Cert: ca.IssueExpired(t)})
	for _, port := range []int{d.IMAPS, d.POP3S} {
		c, err := tls.Dial("tcp", Addr(port), ca.ClientConfig(""))
		if err == nil {
			c.Close()
			t.Errorf("port %d: handshake with an expired certificate succeeded", port)
		} else if !strings.Contains(err.Error(), "expired") {
			t.Errorf("port %d: handshake error %v, want one about expiry", port, err)
		}
	}
}

// TestDovecotRestart checks that mail, users and ports survive a graceful restart and
// a kill, and that users added to a running server can log in.
func TestDovecotRestart(t *testing.T) {
	d := StartDovecot(t, DovecotOptions{})
	d.AddUser(t, "carol", "pw")
	msgs := [][]byte{[]byte("Subject: one\n\n1\n"), []byte("Subject: two\r\n\r\n2\r\n")}
	d.Append(t, "carol", "INBOX", msgs...)
	ports := [...]int{d.IMAP, d.IMAPS, d.POP3, d.POP3S, d.LMTP}
	p := dialPOP3S(t, d, "carol", "pw")
	begin := time.Now()
	d.Restart(t)
	t.Logf("graceful restart took %v", time.Since(begin))
	rest, err := io.ReadAll(p.r) // the session must end, perhaps after a goodbye
	t.Logf("open POP3 session at the restart got %q, %v", rest, err)
	d.Kill()
	d.Start(t)
	if now := [...]int{d.IMAP, d.IMAPS, d.POP3, d.POP3S, d.LMTP}; now != ports {
		t.Errorf("ports after restart %v, want %v", now, ports)
	}
	d.AddUser(t, "dave", "pw2")
	AssertSameMessages(t, dialPOP3S(t, d, "carol", "pw").retrAll(), [][]byte{ExpectPOP3(msgs[0]), ExpectPOP3(msgs[1])})
	if got := dialPOP3S(t, d, "dave", "pw2").retrAll(); len(got) != 0 {
		t.Errorf("new user has %d messages", len(got))
	}
}

// TestDovecotLMTP delivers one message over LMTP (RFC 2033), TCP and unix socket, and
// records what Dovecot adds to it.
func TestDovecotLMTP(t *testing.T) {
	d := StartDovecot(t, DovecotOptions{})
	d.AddUser(t, "erin", "pw")
	body := "Subject: via lmtp\r\n\r\nhello\r\n"
	for _, network := range []string{"tcp", "unix"} {
		addr := Addr(d.LMTP)
		if network == "unix" {
			addr = d.LMTPSocket
		}
		lmtpDeliver(t, network, addr, "erin", body)
	}
	got := d.Messages(t, "erin", "INBOX")
	if len(got) != 2 {
		t.Fatalf("%d messages after two LMTP deliveries, want 2", len(got))
	}
	for _, m := range got {
		if !bytes.HasSuffix(m, []byte("Subject: via lmtp\n\nhello\n")) {
			t.Errorf("LMTP delivery stored %q, want it to end with the message, in LF", m)
		}
	}
	t.Logf("Dovecot LMTP stored: %q", got[0])
}

func lmtpDeliver(t *testing.T, network, addr, rcpt, msg string) {
	t.Helper()
	conn, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		t.Fatalf("dial LMTP %s: %v", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := textproto.NewConn(conn)
	steps := []struct {
		cmd  string
		code int
	}{{"", 220}, {"LHLO testlib", 250}, {"MAIL FROM:<sender@example.org>", 250},
		{"RCPT TO:<" + rcpt + ">", 250}, {"DATA", 354}}
	for _, s := range steps {
		if s.cmd != "" {
			if err := c.PrintfLine("%s", s.cmd); err != nil {
				t.Fatalf("LMTP %s: %v", s.cmd, err)
			}
		}
		if _, _, err := c.ReadResponse(s.code); err != nil {
			t.Fatalf("LMTP %q: %v", s.cmd, err)
		}
	}
	w := c.DotWriter()
	_, _ = io.WriteString(w, msg)
	if err := w.Close(); err != nil {
		t.Fatalf("LMTP DATA: %v", err)
	}
	if _, _, err := c.ReadResponse(250); err != nil {
		t.Fatalf("LMTP delivery to %s: %v", rcpt, err)
	}
}

// TestDovecotPortTaken hands Dovecot a port another listener holds: the start must
// notice (Dovecot exits instead of logging "starting up") and retry on new ports.
func TestDovecotPortTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	calls := 0
	pickPorts = func(t testing.TB, n int) []int {
		calls++
		ps := loopbackPorts(t, n)
		if calls == 1 {
			ps[0] = taken.Addr().(*net.TCPAddr).Port
		}
		return ps
	}
	defer func() { pickPorts = loopbackPorts }()
	d := StartDovecot(t, DovecotOptions{})
	if calls != 2 || d.IMAP == taken.Addr().(*net.TCPAddr).Port {
		t.Errorf("after a taken port: %d port picks, IMAP on %d", calls, d.IMAP)
	}
	if caps := greeting(t, d.IMAP, "a CAPABILITY\r\n", "a OK"); !strings.Contains(caps, "Dovecot") {
		t.Errorf("IMAP port answers %q", caps)
	}
}

// TestDovecotAppendLater appends to a folder Dovecot has already indexed, as tests do
// between two fetches: the new message must show up after the old ones.
func TestDovecotAppendLater(t *testing.T) {
	d := StartDovecot(t, DovecotOptions{})
	d.AddUser(t, "frank", "pw")
	first, second := []byte("Subject: 1\n\nfirst\n"), []byte("Subject: 2\n\nsecond\n")
	d.Append(t, "frank", "INBOX", first)
	if got := imapFetchAll(t, d, "frank", "pw", "INBOX"); len(got) != 1 {
		t.Fatalf("%d messages after one append", len(got))
	}
	d.Append(t, "frank", "INBOX", second)
	got := imapFetchAll(t, d, "frank", "pw", "INBOX")
	if len(got) != 2 || !bytes.Equal(got[0], first) || !bytes.Equal(got[1], second) {
		t.Errorf("after a second append IMAP serves %q", got)
	}
	if got := d.Messages(t, "frank", "INBOX"); len(got) != 2 || !bytes.Equal(got[1], second) {
		t.Errorf("Messages = %q", got)
	}
	if got := d.Messages(t, "frank", "Nowhere"); len(got) != 0 {
		t.Errorf("Messages of a missing folder = %q", got)
	}
	if list := d.Doveadm(t, "mailbox", "list", "-u", "frank"); bytes.Contains(list, []byte("Nowhere")) {
		t.Errorf("asking for a missing folder created it: %q", list)
	}
}

// BenchmarkStartDovecot measures a start (config, exec, listening) and a kill:
//
//	go test -run '^$' -bench StartDovecot -benchtime 20x ./internal/testlib/
func BenchmarkStartDovecot(b *testing.B) {
	var listening time.Duration
	for b.Loop() {
		d := StartDovecot(b, DovecotOptions{})
		listening += d.StartupTime()
		d.Kill()
	}
	b.ReportMetric(float64(listening.Microseconds())/float64(b.N)/1e3, "ms-listening/op")
}
