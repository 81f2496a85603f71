package testlib

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/deliver"
	"github.com/fetchsecure/fetchsecure/fetch"
)

func TestNasty(t *testing.T) {
	a, b := NastyWith(1<<20), NastyWith(1<<20)
	names := map[string]bool{}
	for i, m := range a {
		if names[m.Name] {
			t.Errorf("name %q twice", m.Name)
		}
		names[m.Name] = true
		if !bytes.Equal(m.Data, b[i].Data) {
			t.Errorf("%s differs between two calls", m.Name)
		}
	}
	for _, tt := range []struct {
		name string
		has  string
	}{
		{"long-line-100k", "\n" + strings.Repeat("x", 100<<10) + "\n"},
		{"long-line-1m", "\n" + strings.Repeat("y", 1<<20) + "\n"},
		{"dot-after-4096", "\n" + strings.Repeat("B", 4096) + ".\n"},
		{"nul-header", "a\x00b"},
		{"lone-cr", "one\rtwo"},
		{"long-header-3000", "X-Long: word0 word1"},
	} {
		if m := find(t, a, tt.name); !bytes.Contains(m, []byte(tt.has)) {
			t.Errorf("%s does not contain %.40q", tt.name, tt.has)
		}
	}
	if m := find(t, a, "no-final-newline"); bytes.HasSuffix(m, []byte("\n")) {
		t.Error("no-final-newline ends in a newline")
	}
	if m := find(t, a, "headers-only"); bytes.Contains(m, []byte("\n\n")) {
		t.Error("headers-only has a blank line")
	}
	if m := find(t, a, "attachment"); len(m) < 1<<20 || len(m) > 1<<20+2048 {
		t.Errorf("attachment of 1 MiB is %d bytes", len(m))
	}
}

func TestNastyDotAtBoundaries(t *testing.T) {
	m := find(t, NastyWith(0), "dot-at-boundaries")
	for _, at := range []int{4096, 8192, 65536} {
		if string(m[at-1:at+2]) != "\n.\n" {
			t.Errorf("no \".\" line at offset %d: %q", at, m[at-8:at+8])
		}
	}
}

func TestNastyLongHeaderUnfolded(t *testing.T) {
	m := find(t, NastyWith(0), "long-header-3000")
	i := bytes.Index(m, []byte("X-Long: "))
	line, _, _ := bytes.Cut(m[i:], []byte("\n"))
	if len(line) != len("X-Long: ")+3000 {
		t.Errorf("X-Long line is %d bytes, want %d", len(line), len("X-Long: ")+3000)
	}
}

func find(t *testing.T, msgs []Message, name string) []byte {
	t.Helper()
	for _, m := range msgs {
		if m.Name == name {
			return m.Data
		}
	}
	t.Fatalf("no message %q", name)
	return nil
}

func TestBenchMailbox(t *testing.T) {
	const n = 700
	var total, crlfs, attached int
	first := map[string][]byte{}
	for m := range BenchMailbox(7, n) {
		total += len(m.Data)
		if bytes.Contains(m.Data, []byte("\r\n")) {
			crlfs++
		}
		if bytes.Contains(m.Data, []byte("Content-Transfer-Encoding: base64")) {
			attached++
		}
		if len(first) < 20 {
			first[m.Name] = m.Data
		}
	}
	for m := range BenchMailbox(7, 20) {
		if !bytes.Equal(m.Data, first[m.Name]) {
			t.Fatalf("%s differs between two runs with the same seed", m.Name)
		}
	}
	if crlfs != n/7 {
		t.Errorf("%d of %d messages use CRLF, want %d", crlfs, n, n/7)
	}
	if attached < n/5 || attached > n*2/5 {
		t.Errorf("%d of %d messages have an attachment, want about 30%%", attached, n)
	}
	if avg := total / n; avg < 10e3 || avg > 150e3 {
		t.Errorf("average size %d bytes, want tens of KB", avg)
	}
}

func TestBenchMailboxStops(t *testing.T) {
	seen := 0
	for range BenchMailbox(1, 100) {
		seen++
		if seen == 3 {
			break
		}
	}
	if seen != 3 {
		t.Errorf("saw %d messages after breaking at 3", seen)
	}
}

func TestStripTrace(t *testing.T) {
	env := &fetch.Envelope{Account: "acct", Server: "imap.example", Protocol: "IMAP",
		Security: "TLS1.3", Folder: "INBOX", Ref: fetch.Ref{UID: 42}, Received: time.Unix(0, 0)}
	body := []byte("Delivered-To: own@example.org\nSubject: x\n\nbody\n")
	for _, tr := range []deliver.Trace{
		{AddReceived: true},
		{AddReceived: true, DeliverTo: "me@example.org", Hostname: "host"},
	} {
		delivered := append(tr.Header(env), body...)
		if got := StripTrace(delivered); !bytes.Equal(got, body) {
			t.Errorf("StripTrace(%q) = %q, want %q", delivered, got, body)
		}
	}
	for _, unchanged := range []string{
		string(body),
		"Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\nSubject: x\n\n",
		"Delivered-To: a\nReceived: from x\n\tby y; date\n\nbody",
		"",
	} {
		if got := StripTrace([]byte(unchanged)); string(got) != unchanged {
			t.Errorf("StripTrace(%q) = %q, want it unchanged", unchanged, got)
		}
	}
}
