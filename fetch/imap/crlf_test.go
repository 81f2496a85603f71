package imap

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

func convert(t testing.TB, in []byte, chunk int) []byte {
	var r io.Reader = bytes.NewReader(in)
	if chunk > 0 {
		r = iotest.OneByteReader(r)
	}
	out, err := drainLF(r, make([]byte, 8))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLFReader(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "",
		"a\r\nb\r\n":          "a\nb\n",
		"lone\rcr\r":          "lone\rcr\r",
		"\r\r\n\n\r":          "\r\n\n\r",
		"no final newline":    "no final newline",
		"x\r\n\r\n.\r\n":      "x\n\n.\n",
		"nul\x00\r\n\x80\xff": "nul\x00\n\x80\xff",
		"1234567\r\n89":       "1234567\n89", // CR at the end of an 8-byte chunk
	} {
		for _, chunk := range []int{0, 1} {
			if got := convert(t, []byte(in), chunk); string(got) != want {
				t.Errorf("convert(%q, chunk %d) = %q, want %q", in, chunk, got, want)
			}
		}
	}
}

func FuzzLFReader(f *testing.F) {
	f.Add([]byte("a\r\nb\rc\n\r\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		want := bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n"))
		for _, chunk := range []int{0, 1} {
			if got := convert(t, in, chunk); !bytes.Equal(got, want) {
				t.Fatalf("convert(%q) = %q, want %q", in, got, want)
			}
		}
	})
}

func BenchmarkLFReader(b *testing.B) {
	line := bytes.Repeat([]byte("x"), 70)
	var msg []byte
	for len(msg) < 1<<20 {
		msg = append(append(msg, line...), "\r\n"...)
	}
	b.SetBytes(int64(len(msg)))
	buf := make([]byte, 64<<10)
	var lf lfReader
	for b.Loop() {
		lf.reset(bytes.NewReader(msg))
		for {
			if _, err := lf.next(buf); err != nil {
				break
			}
		}
	}
}

// drainLF converts all of r chunk by chunk in buf, as produce does.
func drainLF(r io.Reader, buf []byte) ([]byte, error) {
	lf := &lfReader{}
	lf.reset(r)
	var out []byte
	for {
		b, err := lf.next(buf)
		out = append(out, b...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}
