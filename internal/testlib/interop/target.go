package interop

import (
	"bytes"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// Target is a local server fetchsecure delivers to over SMTP or LMTP (its smtp or
// lmtp setting), with mailboxes the test can read back.
type Target interface {
	// Name is the server as the compatibility table names it.
	Name() string
	// Protocol is "smtp" or "lmtp", the configuration key.
	Protocol() string
	// Addr is the server's "127.0.0.1:port".
	Addr() string
	// AddUser creates a mailbox and returns the address to deliver to it.
	AddUser(t testing.TB, user string) string
	// Delivered returns what user's mailbox holds, the server's own trace fields
	// (Received:, Return-Path:, Delivered-To: it added) removed.
	Delivered(t testing.TB, user string) [][]byte
	// Expect is what lands in the mailbox, less the server's trace fields, when
	// fetchsecure hands over sent (LF form, fetchsecure's trace fields excluded).
	Expect(sent []byte) []byte
	// Refuses returns the reply with which the server refuses sent for good (a
	// 5xx), or "" if it takes it.
	Refuses(sent []byte) string
	// Dedupes reports whether the server drops, after accepting it, a message whose
	// Message-ID it delivered to the same mailbox before.
	Dedupes() bool
	// TempFail returns a target and recipient that answer 4xx for a message of
	// size bytes, and Reject one that answers 5xx.
	TempFail(t testing.TB, size int) (addr, rcpt string)
	Reject(t testing.TB) (addr, rcpt string)
}

// Protocol implements Target.
func (m *MTA) Protocol() string { return "smtp" }

// Addr implements Target.
func (m *MTA) Addr() string { return testlib.Addr(m.SMTP) }

// mtaTarget is an MTA as a Target.
type mtaTarget struct{ *MTA }

func (m mtaTarget) AddUser(t testing.TB, user string) string {
	m.MTA.AddUser(t, user)
	return user + "@interop.test"
}

func (m mtaTarget) Delivered(t testing.TB, user string) [][]byte {
	return stripAll(m.MTA.Delivered(t, user))
}

func (m mtaTarget) Expect(sent []byte) []byte {
	if m.name == "Exim 4.96" {
		return ExpectExim(sent)
	}
	return ExpectPostfix(sent)
}

func (m mtaTarget) Refuses([]byte) string { return "" }

func (m mtaTarget) Dedupes() bool { return false }

func (m mtaTarget) TempFail(testing.TB, int) (string, string) {
	return m.Addr(), TempFail + "@interop.test"
}

func (m mtaTarget) Reject(testing.TB) (string, string) { return m.Addr(), Reject + "@interop.test" }

// AsTarget returns the MTA as a delivery target.
func AsTarget(m *MTA) Target { return mtaTarget{m} }

// CyrusLMTP is Cyrus's lmtpd as a delivery target: it delivers to the INBOX of the
// user named by the recipient.
type CyrusLMTP struct{ *Cyrus }

// Name implements Target.
func (c CyrusLMTP) Name() string { return "Cyrus lmtpd 3.6" }

// Protocol implements Target.
func (c CyrusLMTP) Protocol() string { return "lmtp" }

// Addr implements Target.
func (c CyrusLMTP) Addr() string { return testlib.Addr(c.LMTP) }

// AddUser implements Target: a sasldb user whose INBOX exists.
func (c CyrusLMTP) AddUser(t testing.TB, user string) string {
	c.Cyrus.AddUser(t, user, user+"-pw")
	a := c.Admin(t)
	defer a.Logout()
	a.Create("user." + user)
	return user
}

// Delivered implements Target, with the values of the Message-ID: and Date: fields
// lmtpd adds masked (see ExpectCyrusLMTP).
func (c CyrusLMTP) Delivered(t testing.TB, user string) [][]byte {
	msgs := stripAll(ReadIMAP(t, c.IMAPS, c.CA, user, user+"-pw", "INBOX"))
	for i, m := range msgs {
		msgs[i] = maskAdded(m)
	}
	return msgs
}

// Expect implements Target with ExpectCyrusLMTP.
func (c CyrusLMTP) Expect(sent []byte) []byte { return ExpectCyrusLMTP(sent) }

// TempFail implements Target: a user over its quota, with 2 KiB stored before the
// quota was set to 1 KiB (lmtpd only refuses mail to a mailbox already over its
// quota, whatever the message's size); lmtpd answers 452, as
// lmtp_over_quota_perm_failure is off by default.
func (c CyrusLMTP) TempFail(t testing.TB, _ int) (string, string) {
	user := "full" + randomWord()[:6]
	c.AddUser(t, user)
	u := DialIMAPS(t, c.IMAPS, c.CA, user, user+"-pw")
	filler := append([]byte("Subject: filler\r\n\r\n"), bytes.Repeat([]byte("0123456789abcde\r\n"), 128)...)
	if err := u.Append("INBOX", filler); err != nil {
		t.Fatalf("APPEND to the INBOX of %s: %v", user, err)
	}
	u.Logout()
	a := c.Admin(t)
	defer a.Logout()
	if err := a.SetQuota("user."+user, map[imap.QuotaResourceType]int64{imap.QuotaResourceStorage: 1}).Wait(); err != nil {
		t.Fatalf("SETQUOTA user.%s: %v", user, err)
	}
	return c.Addr(), user
}

// Dedupes implements Target: lmtpd's duplicate delivery suppression
// (duplicatesuppression, on by default) acknowledges and drops a message whose
// Message-ID the mailbox already received.
func (c CyrusLMTP) Dedupes() bool { return true }

// Refuses implements Target with CyrusLMTPRefuses.
func (c CyrusLMTP) Refuses(sent []byte) string { return CyrusLMTPRefuses(sent) }

// Reject implements Target: a user that does not exist (550 5.1.1).
func (c CyrusLMTP) Reject(testing.TB) (string, string) { return c.Addr(), "nosuchuser" }

// stripAll removes the server's trace fields from each message.
func stripAll(msgs [][]byte) [][]byte {
	out := make([][]byte, len(msgs))
	for i, m := range msgs {
		out[i] = StripServerTrace(m)
	}
	return out
}

// StripServerTrace removes the trace fields a delivery server put above fetchsecure's
// own (Return-Path:, X-Original-To:, Delivered-To:, Received:), then fetchsecure's
// (testlib.StripTrace), leaving the message as fetchsecure fetched it. A message
// without fetchsecure's Received: field is returned unchanged.
func StripServerTrace(m []byte) []byte {
	rest := m
	var prev []byte // the field before rest, if it is a Delivered-To:
	for {
		field, after := cutHeaderField(rest)
		if field == nil || !isTraceField(field) {
			return m
		}
		if bytes.HasPrefix(field, []byte("Received:")) && bytes.Contains(field, []byte("(fetchsecure ")) {
			if prev != nil {
				return testlib.StripTrace(append(bytes.Clone(prev), rest...))
			}
			return testlib.StripTrace(rest)
		}
		prev = nil
		if bytes.HasPrefix(field, []byte("Delivered-To:")) {
			prev = field
		}
		rest = after
	}
}

func isTraceField(f []byte) bool {
	for _, name := range []string{"Return-Path:", "X-Original-To:", "Delivered-To:", "Received:",
		"X-Cyrus-Session-Id:", "X-Sieve:"} {
		if len(f) >= len(name) && bytes.EqualFold(f[:len(name)], []byte(name)) {
			return true
		}
	}
	return false
}

// cutHeaderField splits m after its first header field and its continuation lines;
// nil if m does not start with one.
func cutHeaderField(m []byte) (field, rest []byte) {
	end := 0
	for {
		i := bytes.IndexByte(m[end:], '\n')
		if i < 0 {
			return nil, m
		}
		end += i + 1
		if end >= len(m) || (m[end] != ' ' && m[end] != '\t') {
			return m[:end], m[end:]
		}
	}
}
