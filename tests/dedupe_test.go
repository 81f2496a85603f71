package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestDedupeMessageID: Gmail shows a message once per label, so the same message sits
// in several folders. With dedupe = "message-id" it is delivered once; messages
// without a Message-ID cannot be recognised and are delivered from every folder.
func TestDedupeMessageID(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	msg := func(id, subject string) []byte {
		h := "From: a@example.org\nSubject: " + subject + "\n"
		if id != "" {
			h += "Message-ID: " + id + "\n"
		}
		return []byte(h + "\n" + subject + " body\n")
	}
	var shared [][]byte
	for i := range 4 {
		shared = append(shared, msg(fmt.Sprintf("<shared-%d@example.org>", i), fmt.Sprintf("shared %d", i)))
	}
	inboxOnly, allOnly := msg("<inbox@example.org>", "inbox only"), msg("<all@example.org>", "all only")
	noID := msg("", "no id")
	// The same ID, folded or spaced differently, is the same message.
	folded, spaced := msg("\n <folded@example.org>", "folded"), msg("  <folded@example.org>  ", "folded")
	w.dc.Append(t, "alex", "INBOX", append([][]byte{inboxOnly, noID, folded}, shared...)...)
	w.dc.CreateFolder(t, "alex", "[Gmail]/All Mail")
	w.dc.Append(t, "alex", "[Gmail]/All Mail", append([][]byte{allOnly, noID, spaced}, shared...)...)
	w.writeConfig(w.imapAccount("g", `dedupe = "message-id"`, `folders = ["INBOX", "[Gmail]/All Mail"]`))

	r := w.mustRun(0)
	if !strings.Contains(string(r.Stdout), "g [Gmail]/All Mail: 7 new, 2 delivered, 5 duplicates skipped") {
		t.Errorf("summary does not report the duplicates:\n%s", r.Stdout)
	}
	want := append([][]byte{inboxOnly, allOnly, noID, noID, folded}, shared...)
	testlib.AssertSameMessages(t, w.delivered(), want)

	// Nothing new on the next run; a message labelled later is still known.
	w.dc.CreateFolder(t, "alex", "Later")
	w.dc.Append(t, "alex", "Later", shared[0], inboxOnly)
	w.writeConfig(w.imapAccount("g", `dedupe = "message-id"`, `folders = ["INBOX", "[Gmail]/All Mail", "Later"]`))
	w.mustRun(0)
	testlib.AssertSameMessages(t, w.delivered(), want)
}
