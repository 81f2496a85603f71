package tests

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestTraceHeaders: a Received: field is added by default, Delivered-To: when
// deliver_to is set, and nothing else changes: once exactly the added lines are
// removed, every message is the server's, byte for byte (no re-folding of the
// 3000-byte header, no re-encoding of 8-bit ones).
func TestTraceHeaders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	msgs := corpus()
	w.dc.Append(t, "alex", "INBOX", msgs...)
	boxes := map[string]string{}
	var tables []string
	for _, acct := range []struct{ name, extra string }{
		{"plain", "add_received = false"},
		{"received", ""},
		{"both", `deliver_to = "alex@example.org"`},
		{"delivered", "add_received = false\ndeliver_to = \"alex@example.org\""},
	} {
		boxes[acct.name] = filepath.Join(w.dir, acct.name)
		tables = append(tables, w.imapAccount(acct.name,
			fmt.Sprintf("maildir = %q", boxes[acct.name]), acct.extra))
	}
	w.writeConfig(tables...)
	w.mustRun(0)

	received := regexp.MustCompile(`^Received: from 127\.0\.0\.1\n\tby \S+ with IMAP \(TLS[^\n]*\)\n` +
		`\t\(fetchsecure account (\w+), folder INBOX, uid \d+\)(\n\tfor <alex@example\.org>)?; [^\n]+\n`)
	for name, box := range boxes {
		var got [][]byte
		for _, d := range testlib.ReadMaildir(t, box) {
			b := d.Data
			if name == "both" || name == "delivered" {
				b = cutLine(t, b, "Delivered-To: alex@example.org\n")
			}
			if name == "received" || name == "both" {
				m := received.FindSubmatch(b)
				if m == nil || string(m[1]) != name || (len(m[2]) > 0) != (name == "both") {
					t.Fatalf("%s: no proper Received: field first:\n%s", name, b[:min(len(b), 300)])
				}
				b = b[len(m[0]):]
			}
			got = append(got, b)
		}
		t.Run(name, func(t *testing.T) {
			testlib.AssertSameMessages(t, got, mapBytes(msgs, testlib.ExpectIMAP))
		})
	}
}

// cutLine removes line from the start of b, failing the test if it is not there.
func cutLine(t *testing.T, b []byte, line string) []byte {
	t.Helper()
	rest, ok := bytes.CutPrefix(b, []byte(line))
	if !ok {
		t.Fatalf("message does not start with %q:\n%s", line, b[:min(len(b), 200)])
	}
	return rest
}
