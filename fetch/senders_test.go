package fetch

import (
	"fmt"
	"slices"
	"testing"
)

// TestSendersForNotifications: the report names the senders of the first messages
// delivered, at most MaxSenders, for a desktop notification.
func TestSendersForNotifications(t *testing.T) {
	box := newBox(1, 0)
	for i := 1; i <= MaxSenders+2; i++ {
		box.msgs[uint32(i)] = fmt.Appendf(nil, "From: Sender %d\r\n <s%d@example.org>\r\nSubject: x\r\n\r\nbody\r\n", i, i)
	}
	box.msgs[100] = []byte("Subject: no sender\r\n\r\nbody\r\n")
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	reports, err := r.run(true)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 1; i <= MaxSenders; i++ {
		want = append(want, fmt.Sprintf("Sender %d <s%d@example.org>", i, i))
	}
	if got := reports[0].Senders; !slices.Equal(got, want) {
		t.Fatalf("Senders = %q, want %q", got, want)
	}
}
