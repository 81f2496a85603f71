package mbox

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

func quote(t testing.TB, in []byte, chunk int) []byte {
	t.Helper()
	var out bytes.Buffer
	q := &quoter{w: &out}
	for len(in) > 0 {
		n := min(chunk, len(in))
		if _, err := q.Write(in[:n]); err != nil {
			t.Fatal(err)
		}
		in = in[n:]
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var quotedFrom = regexp.MustCompile(`(?m)^>(>*From )`)

// unquote is what an mboxrd reader does to a message: one '>' less on ^>+From  lines.
func unquote(b []byte) []byte { return quotedFrom.ReplaceAll(b, []byte("$1")) }

func TestQuoter(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"From me\n", ">From me\n"},
		{"From me", ">From me"},
		{">From me\n", ">>From me\n"},
		{">>>From x\nFrom y\n", ">>>>From x\n>From y\n"},
		{"From\n", "From\n"},
		{"Fro", "Fro"},
		{">", ">"},
		{">>Fr\n", ">>Fr\n"},
		{"xFrom me\n", "xFrom me\n"},
		{" From me\n", " From me\n"},
		{">x>From\n", ">x>From\n"},
		{"a\nFrom b\n\nFrom c", "a\n>From b\n\n>From c"},
		{"from lower\n", "from lower\n"},
		{"FromX\n", "FromX\n"},
		{"\n\nFrom \n", "\n\n>From \n"},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 2, 3, 1000} {
			if got := quote(t, []byte(tt.in), chunk); string(got) != tt.want {
				t.Errorf("quote(%q, chunk %d) = %q, want %q", tt.in, chunk, got, tt.want)
			}
		}
	}
	long := strings.Repeat(">", 1000) + "From x\n"
	if got := quote(t, []byte(long), 7); string(got) != ">"+long {
		t.Errorf("1000 '>' then From: got %d bytes", len(got))
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"From a\n>From b\n", ">>>>From", "\nFrom ", "From From From\n",
		"a\x00\nFrom \xff\n", ">\n>F\n>Fr\n>From"} {
		f.Add([]byte(s), 3)
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk int) {
		chunk = 1 + abs(chunk)%64
		q := quote(t, in, chunk)
		if whole := quote(t, in, len(in)+1); !bytes.Equal(q, whole) {
			t.Fatalf("quoting depends on chunking: %q vs %q", q, whole)
		}
		if bytes.HasPrefix(q, []byte("From ")) || bytes.Contains(q, []byte("\nFrom ")) {
			t.Fatalf("quoted %q still has a From line: %q", in, q)
		}
		if got := unquote(q); !bytes.Equal(got, in) {
			t.Fatalf("unquote(quote(%q)) = %q", in, got)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func TestReturnPath(t *testing.T) {
	tests := []struct{ hdr, want string }{
		{"Return-Path: <a@b.example>\nSubject: x\n\n", "a@b.example"},
		{"Subject: x\nreturn-path:   <c@d>\n\n", "c@d"},
		{"Return-Path: <>\n\n", "MAILER-DAEMON"},
		{"Subject: x\n\nReturn-Path: <late@x>\n", "MAILER-DAEMON"},
		{"Return-Path: <a b@c>\n\n", "MAILER-DAEMON"},
		{"Return-Path: plain@x\n", "plain@x"},
		{"Return-Path: <a\x01@x>\n", "MAILER-DAEMON"},
		{"", "MAILER-DAEMON"},
		{"Return-Path: <" + strings.Repeat("a", 400) + "@x>\n", "MAILER-DAEMON"},
	}
	for _, tt := range tests {
		if got := returnPath([]byte(tt.hdr)); got != tt.want {
			t.Errorf("returnPath(%q) = %q, want %q", tt.hdr, got, tt.want)
		}
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	if got := fromLine("a@b", when); got != "From a@b Fri Jan  2 03:04:05 2026\n" {
		t.Errorf("fromLine = %q", got)
	}
}
