package deliver

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
)

// FuzzTraceHeader feeds server-controlled values (server name, folder, UIDL, the
// security description) and config values into the trace header and checks that it
// stays exactly the fields it means to add: every line ends in LF, no CR or other
// control byte gets in, continuation lines start with a tab, and a header parser sees
// Delivered-To and Received and nothing else (no field injected by a hostile folder
// name such as "INBOX\nBcc: x").
func FuzzTraceHeader(f *testing.F) {
	f.Add("imap.example.org", "INBOX", "", uint32(7), "TLS1.3", "me@example.org", "laptop", "work")
	f.Add("pop.example.org\r\nX-Evil: 1", "INBOX\nBcc: victim@example.org", "uid\r\n\r\nbody", uint32(0),
		"SSH tunnel via home\x00", "me\n@x", "host\x7f", "acc\tount")
	f.Add("", "", "", uint32(0), "", "", "", "")
	f.Add("\xff\xfe", "Entwürfe/\xe9", "\x1b[31m", uint32(4294967295), "\u2028", "a\u0085b", "h", "a")
	f.Fuzz(func(t *testing.T, server, folder, uidl string, uid uint32, security, deliverTo, host, account string) {
		tr := Trace{AddReceived: true, DeliverTo: deliverTo, Hostname: host}
		env := &fetch.Envelope{Account: account, Server: server, Protocol: "IMAP", Security: security,
			Folder: folder, Ref: fetch.Ref{UID: uid, UIDL: uidl}, Received: time.Unix(1700000000, 0)}
		h := tr.Header(env)
		checkHeader(t, h, deliverTo != "")
	})
}

func checkHeader(t *testing.T, h []byte, deliveredTo bool) {
	t.Helper()
	if len(h) == 0 || h[len(h)-1] != '\n' {
		t.Fatalf("header %q does not end with LF", h)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(h), "\n"), "\n") {
		for _, c := range []byte(line) {
			if c < 0x20 && c != '\t' || c == 0x7f {
				t.Fatalf("line %d %q holds control byte %#x", i, line, c)
			}
		}
		if i > 0 && !strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, "Received: ") {
			t.Fatalf("line %d %q is neither a continuation nor the Received field", i, line)
		}
	}
	hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(h, '\n')))).ReadMIMEHeader()
	if err != nil {
		t.Fatalf("header %q does not parse: %v", h, err)
	}
	want := 1
	if deliveredTo {
		want = 2
	}
	if len(hdr) != want || len(hdr["Received"]) != 1 || deliveredTo && len(hdr["Delivered-To"]) != 1 {
		t.Fatalf("header %q parses as %d fields %v, want Received (and Delivered-To)", h, len(hdr), hdr)
	}
}
