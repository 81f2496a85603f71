package imap

import (
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// readWire returns what go-imap would read through a wire over server bytes in.
func readWire(in string, maxLine int) (string, *wire, error) {
	w := newWire(nil, strings.NewReader(in), maxLine)
	out, err := io.ReadAll(w)
	return string(out), w, err
}

func TestWirePassesRealTraffic(t *testing.T) {
	in := "* OK ready\r\n* 1 FETCH (UID 7 BODY[] {12}\r\nline\r\n\r\nbody)\r\n" +
		"* LIST () \"/\" {5}\r\nInbox\r\n* 2 FETCH (UID 8 BODY[]<0> {3}\r\nabc)\r\nT1 OK done\r\n"
	out, w, err := readWire(in, 100)
	if err != nil || out != in {
		t.Fatalf("got %q, %v; want the input unchanged", out, err)
	}
	if w.violation != nil {
		t.Fatal(w.violation)
	}
}

func TestWireBodyLiteralsAreNotCounted(t *testing.T) {
	body := strings.Repeat("x", 10000)
	in := "* 1 FETCH (UID 7 BODY[] {10000}\r\n" + body + ")\r\n"
	if out, _, err := readWire(in, 100); err != nil || out != in {
		t.Fatalf("a 10000-byte body under a 100-byte line limit: %v", err)
	}
	// The same literal anywhere else is held in memory by go-imap: refused.
	in = "* LIST () \"/\" {10000}\r\n" + body + "\r\n"
	if _, w, err := readWire(in, 100); fail.KindOf(err) != fail.Protocol || w.violation == nil {
		t.Fatalf("a 10000-byte mailbox name: %v", err)
	}
	// A body section in a response that is not FETCH is not a body.
	in = "* OK BODY[] {10000}\r\n" + body + "\r\n"
	if _, _, err := readWire(in, 100); fail.KindOf(err) != fail.Protocol {
		t.Fatalf("BODY[] in a text response: %v", err)
	}
}

func TestWireLineWithoutEnd(t *testing.T) {
	_, w, err := readWire("* OK "+strings.Repeat("A", 1000), 100)
	if fail.KindOf(err) != fail.Protocol || !strings.Contains(w.violation.Error(), "longer than 100") {
		t.Fatalf("err %v, violation %v", err, w.violation)
	}
}

func TestWireLiteral8(t *testing.T) {
	out, _, err := readWire("* 1 FETCH (UID 1 BODY[] ~{3}\r\na\x00b)\r\n* 2 FETCH (UID 2 BINARY[] ~{1}\r\nc)\r\n", 100)
	want := "* 1 FETCH (UID 1 BODY[] {3}\r\na\x00b)\r\n* 2 FETCH (UID 2 BINARY[] ~{1}\r\nc)\r\n"
	if err != nil || out != want {
		t.Fatalf("got %q, %v; want %q", out, err, want)
	}
}

func TestWireTruncatedLiteral(t *testing.T) {
	out, w, err := readWire("* 1 FETCH (UID 1 BODY[] {100}\r\nshort", 100)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasSuffix(out, "short") {
		t.Fatalf("got %q, %v; want the bytes, then io.ErrUnexpectedEOF", out, err)
	}
	if e := w.errorOf("fetch", err); fail.KindOf(e) != fail.Temporary {
		t.Fatalf("classified %v as %v", e, fail.KindOf(e))
	}
}

func TestWireAbsurdLiteral(t *testing.T) {
	_, _, err := readWire("* 1 FETCH (UID 1 BODY[] {99999999999999999999}\r\n", 100)
	if fail.KindOf(err) != fail.Protocol {
		t.Fatalf("err %v", err)
	}
	var many strings.Builder
	many.WriteString("* 1 FETCH (UID 1")
	for range maxLiterals + 1 {
		many.WriteString(" BODY[] {1}\r\nx")
	}
	if _, _, err := readWire(many.String()+")\r\n", 1<<20); fail.KindOf(err) != fail.Protocol {
		t.Fatalf("%d literals in one response: %v", maxLiterals+1, err)
	}
}

func TestErrorOf(t *testing.T) {
	w := newWire(nil, strings.NewReader(""), 0)
	if e := w.errorOf("x", errors.New(`unsupported response type "XYZZY"`)); fail.KindOf(e) != fail.Protocol {
		t.Errorf("parse failure: %v", fail.KindOf(e))
	}
	w.readErr = io.EOF
	if e := w.errorOf("x", io.ErrUnexpectedEOF); fail.KindOf(e) != fail.Temporary ||
		!strings.Contains(e.Error(), "closed the connection") {
		t.Errorf("closed connection: %v (%v)", e, fail.KindOf(e))
	}
	w.readErr = net.ErrClosed
	if e := w.errorOf("x", net.ErrClosed); fail.KindOf(e) != fail.Temporary {
		t.Errorf("connection closed by us: %v", fail.KindOf(e))
	}
}

func TestIsBody(t *testing.T) {
	for before, want := range map[string]bool{
		"* 1 FETCH (UID 1 BODY[] ":                  true,
		"* 1 FETCH (BODY[HEADER.FIELDS (A B)] ":     true,
		"* 1 FETCH (UID 1 BODY[]<0> ":               true,
		"* 1 FETCH (BINARY[1] ":                     true,
		"* 1 FETCH (ENVELOPE (NIL ":                 false,
		"* 1 FETCH (UID 1 XBODY[] ":                 false,
		"* 1 FETCH (UID 1 BODY[]":                   false,
		"* 1 FETCH (UID 1 BODY[x]y] ":               false,
		"* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"x\" ": false,
	} {
		if got := isBody([]byte(before), ""); got != want {
			t.Errorf("isBody(%q) = %v", before, got)
		}
	}
}

// BenchmarkWireBody measures the guard on the hot path: a 16 MiB body literal read
// in go-imap's 4 KiB steps.
func BenchmarkWireBody(b *testing.B) {
	body := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrs\r\n", 16<<20/66)
	in := "* 1 FETCH (UID 1 BODY[] {" + strconv.Itoa(len(body)) + "}\r\n" + body + ")\r\n"
	buf := make([]byte, 4096)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		w := newWire(nil, strings.NewReader(in), 0)
		for {
			if _, err := w.Read(buf); err != nil {
				break
			}
		}
	}
}
