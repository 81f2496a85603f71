package tests

import (
	"fmt"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

func (w *world) pop3Account(name string, extra ...string) string {
	lines := []string{
		fmt.Sprintf("[account.%s]", name),
		`protocol = "pop3"`,
		`host = "127.0.0.1"`,
		fmt.Sprintf("port = %d", w.dc.POP3S),
		`tls = "tls"`,
		fmt.Sprintf("ca_file = %q", w.dc.CA.File),
		`user = "alex"`,
		fmt.Sprintf("password = %q", password),
		fmt.Sprintf("maildir = %q", w.maildir),
	}
	return testlib.ConfigTable(lines, extra)
}

func TestPOP3ByteExactKeepThenDelete(t *testing.T) {
	for _, mode := range []string{"tls", "starttls"} {
		t.Run(mode, func(t *testing.T) {
			w := newWorld(t)
			nasty := messages(testlib.Nasty())
			w.dc.Append(t, "alex", "INBOX", nasty...)
			port := w.dc.POP3S
			if mode == "starttls" {
				port = w.dc.POP3
			}
			w.writeConfig(w.pop3Account("pop", fmt.Sprintf("port = %d", port), fmt.Sprintf("tls = %q", mode)))
			w.mustRun(0)
			testlib.AssertSameMessages(t, w.delivered(), mapBytes(nasty, testlib.ExpectPOP3))
			w.mustRun(0)
			if got := len(w.delivered()); got != len(nasty) {
				t.Fatalf("second run: %d messages, want %d", got, len(nasty))
			}

			// keep = false deletes what it delivers; mail delivered while keep was
			// true stays on the server (as with fetchmail, which needs --flush).
			fresh := [][]byte{[]byte("Subject: new 1\r\n\r\none\r\n"), []byte("Subject: new 2\r\n\r\ntwo\r\n")}
			w.dc.Append(t, "alex", "INBOX", fresh...)
			w.writeConfig(w.pop3Account("pop", fmt.Sprintf("port = %d", port), fmt.Sprintf("tls = %q", mode), "keep = false"))
			w.mustRun(0)
			testlib.AssertSameMessages(t, w.dc.Messages(t, "alex", "INBOX"), nasty)
			if got := len(w.delivered()); got != len(nasty)+len(fresh) {
				t.Fatalf("delete run: %d messages in the maildir, want %d", got, len(nasty)+len(fresh))
			}
		})
	}
}
