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
		sn.header("Message-Id")
		sn.header("From")
	})
}
