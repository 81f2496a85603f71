package pop3

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

// decode runs the dot-decoder over wire with a read buffer of size bytes and returns
// the output, the error and the bytes left after the terminator.
func decode(wire []byte, size int, viaWriteTo bool) (out, rest []byte, err error) {
	br := bufio.NewReaderSize(bytes.NewReader(wire), size)
	var d dotReader
	d.reset(br)
	var b bytes.Buffer
	if viaWriteTo {
		_, err = d.writeTo(&b, make([]byte, 7))
	} else {
		_, err = io.Copy(&b, struct{ io.Reader }{&d}) // plain Read calls
	}
	rest, _ = io.ReadAll(br)
	return b.Bytes(), rest, err
}

// reference decodes wire with textproto.DotReader, the correct but slow decoder.
func reference(wire []byte) (out, rest []byte, err error) {
	br := bufio.NewReader(bytes.NewReader(wire))
	out, err = io.ReadAll(textproto.NewReader(br).DotReader())
	rest, _ = io.ReadAll(br)
	return out, rest, err
}

func TestDotReaderNasty(t *testing.T) {
	for name, msg := range nasty() {
		wire := append(fakepop3.Stuff(msg), "+OK next\r\n"...)
		want := fakepop3.Unstuffed(msg)
		for _, size := range []int{16, 17, 4096, readBufSize} {
			for _, wt := range []bool{false, true} {
				got, rest, err := decode(wire, size, wt)
				if err != nil || !bytes.Equal(got, want) || string(rest) != "+OK next\r\n" {
					t.Errorf("%s (buffer %d, WriteTo %v): err %v, rest %q, output equal %v",
						name, size, wt, err, rest, bytes.Equal(got, want))
				}
			}
		}
	}
}

func TestDotReaderCases(t *testing.T) {
	cases := []struct{ wire, want string }{
		{".\r\n", ""},
		{".\n", ""}, // textproto also ends on a bare-LF terminator
		{"a\r\n.\r\n", "a\n"},
		{"..\r\n.\r\n", ".\n"},
		{".a\r\n.\r\n", "a\n"},
		{"a\rb\r\n.\r\n", "a\rb\n"},
		{"a\r\r\n.\r\n", "a\r\n"},
		{".\rx\r\n.\r\n", "\rx\n"},
		{"\r\n.\r\n", "\n"},
		{"x\n.y\n.\r\n", "x\ny\n"},
		{"x\n\n..y\n.\r\n", "x\n\n.y\n"}, // textproto.DotReader keeps both dots here
	}
	for _, c := range cases {
		got, _, err := decode([]byte(c.wire), 16, false)
		if err != nil || string(got) != c.want {
			t.Errorf("decode(%q) = %q, %v; want %q", c.wire, got, err, c.want)
		}
	}
}

func TestDotReaderTruncated(t *testing.T) {
	for _, wire := range []string{"", "abc", "abc\r\n", "abc\r", ".", strings.Repeat("x", 100)} {
		_, _, err := decode([]byte(wire), 16, false)
		if err != io.ErrUnexpectedEOF {
			t.Errorf("decode(%q) error = %v, want io.ErrUnexpectedEOF", wire, err)
		}
	}
}

func TestDotReaderDiscard(t *testing.T) {
	br := bufio.NewReaderSize(strings.NewReader("a\r\n"+strings.Repeat("b", 100)+"\r\n.\r\nREST"), 16)
	var d dotReader
	d.reset(br)
	if err := d.discard(); err != nil {
		t.Fatalf("discard() = %v", err)
	}
	if rest, _ := io.ReadAll(br); string(rest) != "REST" {
		t.Fatalf("after discard the stream holds %q, want %q", rest, "REST")
	}
}

// spec decodes wire by RFC 1939 §3, a whole line at a time: the plainest statement of
// what the decoder must do.
func spec(wire []byte) (out, rest []byte, err error) {
	out = []byte{}
	for {
		j := bytes.IndexByte(wire, '\n')
		if j < 0 {
			return out, nil, io.ErrUnexpectedEOF
		}
		line := wire[:j+1]
		wire = wire[j+1:]
		if line[0] == '.' {
			if string(line) == ".\n" || string(line) == ".\r\n" {
				return out, wire, nil
			}
			line = line[1:]
		}
		if bytes.HasSuffix(line, []byte("\r\n")) {
			line = append(line[:len(line)-2:len(line)-2], '\n')
		}
		out = append(out, line...)
	}
}

// emptyBareLF reports whether wire has an empty line ended by a bare LF, after which
// textproto.DotReader forgets that the next line starts a line and keeps its dot.
func emptyBareLF(wire []byte) bool {
	return bytes.HasPrefix(wire, []byte("\n")) || bytes.Contains(wire, []byte("\n\n"))
}

// FuzzDotReader checks the decoder against the line-at-a-time spec and against
// textproto.DotReader (except where textproto is wrong): same output, same bytes left
// over, and an error exactly when they report one.
func FuzzDotReader(f *testing.F) {
	for _, msg := range nasty() {
		if len(msg) < 2000 {
			f.Add(fakepop3.Stuff(msg), uint8(0))
		}
	}
	f.Add([]byte(".\r\n"), uint8(0))
	f.Add([]byte("a\r\r\n.\r\n"), uint8(3))
	f.Add([]byte("..\r\n.\n"), uint8(1))
	f.Fuzz(func(t *testing.T, wire []byte, size uint8) {
		got, grest, gerr := decode(wire, 16+int(size%64), size&1 == 1)
		refs := map[string]func([]byte) ([]byte, []byte, error){"spec": spec}
		if !emptyBareLF(wire) {
			refs["textproto"] = reference
		}
		for name, ref := range refs {
			want, wrest, werr := ref(wire)
			if (werr != nil) != (gerr != nil) {
				t.Fatalf("error %v, %s says %v", gerr, name, werr)
			}
			if werr == nil && (!bytes.Equal(got, want) || !bytes.Equal(grest, wrest)) {
				t.Fatalf("output %q rest %q, %s gives %q rest %q", got, grest, name, want, wrest)
			}
		}
	})
}

// corpus is a realistic stuffed multi-message stream: 2,000 messages of mixed lines.
func corpus() []byte {
	var b bytes.Buffer
	line := strings.Repeat("abcdefghij", 7) + "\r\n"
	for i := range 2000 {
		var m bytes.Buffer
		m.WriteString("Subject: test\r\nFrom: a@example.org\r\n\r\n")
		for j := range 40 + i%80 {
			if j%17 == 0 {
				m.WriteString(".dotted line\r\n")
			}
			m.WriteString(line)
		}
		b.Write(fakepop3.Stuff(m.Bytes()))
	}
	return b.Bytes()
}

func BenchmarkDecoder(b *testing.B) {
	wire := corpus()
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	buf := make([]byte, 32<<10)
	r := bytes.NewReader(wire)
	br := bufio.NewReaderSize(r, readBufSize)
	var d dotReader
	for b.Loop() {
		r.Reset(wire)
		br.Reset(r)
		for br.Buffered() > 0 || r.Len() > 0 {
			d.reset(br)
			if _, err := d.writeTo(io.Discard, buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkTextprotoDotReader(b *testing.B) {
	wire := corpus()
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	buf := make([]byte, 32<<10)
	r := bytes.NewReader(wire)
	br := bufio.NewReaderSize(r, readBufSize)
	for b.Loop() {
		r.Reset(wire)
		br.Reset(r)
		tr := textproto.NewReader(br)
		for br.Buffered() > 0 || r.Len() > 0 {
			if _, err := io.CopyBuffer(io.Discard, tr.DotReader(), buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
