package fetch

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

func TestSnifferHeaders(t *testing.T) {
	msg := "Received: x\nMessage-ID:\n <a@b>\nmessage-id: <second@b>\nFrom: A <a@example.org>\n\nMessage-Id: <body@b>\n"
	for _, r := range []io.Reader{bytes.NewReader([]byte(msg)), iotest.OneByteReader(bytes.NewReader([]byte(msg)))} {
		sn := newSniffer(r)
		out, _ := io.ReadAll(sn)
		if string(out) != msg || sn.n != int64(len(msg)) {
			t.Fatalf("the sniffer changed the stream: %q", out)
		}
		if got := sn.header("Message-Id"); got != "<a@b>" {
			t.Errorf("Message-Id = %q, want the first, unfolded, from the header only", got)
		}
		if got := sn.header("from"); got != "A <a@example.org>" {
			t.Errorf("From = %q", got)
		}
	}
}

// FuzzSniffer: the sniffer passes every byte through unchanged, keeps at most
// maxHeader bytes, and never panics on what a server sends.
func FuzzSniffer(f *testing.F) {
	f.Add([]byte("Message-Id: <x@y>\n\nbody"), 3)
	f.Add([]byte("no header at all"), 1)
	f.Add([]byte("A: b\n c\n\n"), 7)
	f.Fuzz(func(t *testing.T, msg []byte, chunk int) {
		var r io.Reader = bytes.NewReader(msg)
		if chunk%2 == 1 {
			r = iotest.OneByteReader(r)
		}
		sn := newSniffer(r)
		out, err := io.ReadAll(sn)
		if err != nil || !bytes.Equal(out, msg) || sn.n != int64(len(msg)) || len(sn.head) > maxHeader {
			t.Fatalf("sniffer: err=%v changed=%v n=%d head=%d", err, !bytes.Equal(out, msg), sn.n, len(sn.head))
		}
		want := msg[:min(len(msg), maxHeader)]
		if i := bytes.Index(want, []byte("\n\n")); i >= 0 {
			want = want[:i+1]
		}
		if !bytes.Equal(sn.head, want) {
			t.Fatalf("sniffer kept %d header bytes, want %d", len(sn.head), len(want))
		}
		sn.header("Message-Id")
		sn.header("From")
	})
}

// TestSnifferKeepsOnlyTheHeader: the copy stops at the empty line, wherever the reads
// split the stream, and is the same as a whole-buffer scan would give.
func TestSnifferKeepsOnlyTheHeader(t *testing.T) {
	msg := "A: 1\nB: 2\n\n" + string(bytes.Repeat([]byte("body line\n"), 1000))
	for split := 1; split < 14; split++ {
		sn := newSniffer(&splitReader{b: []byte(msg), first: split})
		if out, _ := io.ReadAll(sn); string(out) != msg {
			t.Fatalf("split %d: the stream changed", split)
		}
		if string(sn.head) != "A: 1\nB: 2\n" || !sn.full {
			t.Errorf("split %d: head = %q, full = %v", split, sn.head, sn.full)
		}
	}
}

// splitReader returns its first `first` bytes, then the rest in one read.
type splitReader struct {
	b     []byte
	first int
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := len(r.b)
	if r.first > 0 {
		n, r.first = min(n, r.first), 0
	}
	n = copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}
