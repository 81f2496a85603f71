package interop

import (
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// DovecotLMTP is the LMTP service of testlib's private Dovecot 2.3 as a delivery
// target. Quota is a second instance whose every user has a quota of 1 KiB and
// whose LMTP answers a message over it with 452 (quota_full_tempfail), for the 4xx
// case.
type DovecotLMTP struct {
	D, Quota *testlib.Dovecot
}

// StartDovecotLMTP starts both instances; they stop when the test ends.
func StartDovecotLMTP(t testing.TB) DovecotLMTP {
	t.Helper()
	return DovecotLMTP{
		D: testlib.StartDovecot(t, testlib.DovecotOptions{}),
		Quota: testlib.StartDovecot(t, testlib.DovecotOptions{ExtraConfig: `mail_plugins = $mail_plugins quota
quota_full_tempfail = yes
plugin {
  quota = maildir:User quota
  quota_rule = *:storage=1K
}`}),
	}
}

// Name implements Target.
func (d DovecotLMTP) Name() string { return "Dovecot LMTP 2.3" }

// Protocol implements Target.
func (d DovecotLMTP) Protocol() string { return "lmtp" }

// Addr implements Target.
func (d DovecotLMTP) Addr() string { return testlib.Addr(d.D.LMTP) }

// AddUser implements Target.
func (d DovecotLMTP) AddUser(t testing.TB, user string) string {
	d.D.AddUser(t, user, user+"-pw")
	return user
}

// Delivered implements Target: the maildir files, as Dovecot stored them.
func (d DovecotLMTP) Delivered(t testing.TB, user string) [][]byte {
	return stripAll(d.D.Messages(t, user, "INBOX"))
}

// Expect implements Target with ExpectDovecotLMTP.
func (d DovecotLMTP) Expect(sent []byte) []byte { return ExpectDovecotLMTP(sent) }

// Dedupes implements Target: Dovecot stores every copy.
func (d DovecotLMTP) Dedupes() bool { return false }

// Refuses implements Target: Dovecot takes every message.
func (d DovecotLMTP) Refuses([]byte) string { return "" }

// TempFail implements Target.
func (d DovecotLMTP) TempFail(t testing.TB, size int) (string, string) {
	user := "full" + randomWord()[:6]
	d.Quota.AddUser(t, user, "pw")
	if size <= 1024 {
		t.Fatalf("a message of %d bytes fits in the quota of 1 KiB", size)
	}
	return testlib.Addr(d.Quota.LMTP), user
}

// Reject implements Target: a user that does not exist (550 5.1.1).
func (d DovecotLMTP) Reject(testing.TB) (string, string) { return d.Addr(), "nosuchuser" }
