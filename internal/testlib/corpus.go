package testlib

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Message is one message of a corpus: a name usable as a subtest name, and its bytes
// as the server stores them.
type Message struct {
	Name string
	Data []byte
}

// DefaultAttachmentSize is the size of the generated attachment in [Nasty].
const DefaultAttachmentSize = 20 << 20

// Nasty returns the hard cases every fetch and delivery path must carry byte for byte,
// with a 20 MB attachment. See [NastyWith].
func Nasty() []Message { return NastyWith(DefaultAttachmentSize) }

// NastyWith returns the hard cases, with an attachment of about attachment bytes
// (base64-encoded; 0 leaves the message out). Every message is deterministic and
// has a distinct Message-ID unless its name says otherwise. Most are LF-terminated;
// the line-ending cases say which they use.
func NastyWith(attachment int) []Message {
	msgs := []Message{
		msg("long-line-100k", "", strings.Repeat("x", 100<<10)+"\n"),
		msg("long-line-1m", "", strings.Repeat("y", 1<<20)+"\n"),
		msg("dot-lines", "", ".\n..\n...\n. \n.x\n..x\n...x\nend\n"),
		msg("dot-alone-last", "", "before\n.\n"),
		msg("dot-no-final-newline", "", "before\n."),
		msg("dot-after-4096", "", strings.Repeat("B", 4096)+".\n.\n"),
		dotAtBoundaries(),
		msg("latin1-headers", "Subject: Gr\xfc\xdfe aus K\xf6ln\nX-Name: Fran\xe7ois\n", "body\n"),
		msg("invalid-utf8-headers", "Subject: bad \xc3\x28 \xff\xfe \xc0\xaf \xed\xa0\x80 end\n", "body \xff\n"),
		msg("nul-body", "", "before\x00after\n\x00\n\x00\x00\x00\nend\n"),
		msg("nul-header", "X-Nul: a\x00b\n", "body\n"),
		msg("no-final-newline", "", "last line without newline"),
		{"no-body", []byte(headers("no-body", "") + "\n")},
		{"headers-only", []byte(headers("headers-only", ""))},
		msg("empty-lines-body-start", "", "\n\n\nbody after three empty lines\n"),
		{"crlf", crlf(msg("crlf", "", "line one\nline two\n.\n..\n").Data)},
		msg("lf", "", "line one\nline two\n"),
		mixedEndings(),
		msg("lone-cr", "X-Cr: a\rb\n", "one\rtwo\nend\r\n"),
		msg("from-line", "", "Hello\nFrom someone@example.org Mon Jan  1 00:00:00 2024\nbye\n"),
		msg("gt-from-line", "", "Hello\n>From someone@example.org\n>>From quoted twice\nbye\n"),
		msg("long-header-3000", "X-Long: "+longWords(3000)+"\n", "body\n"),
		{"no-message-id", []byte("From: a@example.org\nTo: b@example.org\nSubject: no id\n\nbody\n")},
		dup("dup-message-id-1", "first of two"),
		dup("dup-message-id-2", "second of two"),
	}
	if attachment > 0 {
		msgs = append(msgs, Attachment("attachment", attachment))
	}
	return msgs
}

// headers returns an ordinary LF-terminated header for a message named name, with
// extra (LF-terminated lines) before the Message-ID.
func headers(name, extra string) string {
	return "From: Sender <sender@example.org>\nTo: rcpt@example.org\n" +
		"Subject: nasty " + name + "\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n" +
		extra + "Message-ID: <" + name + "@nasty.example>\n"
}

func msg(name, extra, body string) Message {
	return Message{name, []byte(headers(name, extra) + "\n" + body)}
}

func dup(name, body string) Message {
	m := "From: a@example.org\nSubject: " + name + "\nMessage-ID: <same@nasty.example>\n\n" + body + "\n"
	return Message{name, []byte(m)}
}

// dotAtBoundaries puts "." lines at offsets 4096, 8192 and 65536 of the message, where
// a reader with a 4 KiB or 64 KiB buffer refills.
func dotAtBoundaries() Message {
	var b bytes.Buffer
	b.WriteString(headers("dot-at-boundaries", "") + "\n")
	for _, at := range []int{4096, 8192, 65536} {
		pad := at - b.Len() - 1
		for pad > 0 {
			n := min(pad, 77)
			b.WriteString(strings.Repeat("p", n-1) + "\n")
			pad -= n
		}
		b.WriteString("\n.\n")
	}
	return Message{"dot-at-boundaries", b.Bytes()}
}

func mixedEndings() Message {
	m := headers("mixed-endings", "") + "\r\nlf\ncrlf\r\nlf again\n\r\ncr lf after empty\r\n"
	return Message{"mixed-endings", []byte(m)}
}

// crlf turns every LF into CRLF.
func crlf(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }

// longWords returns n bytes of words separated by spaces, one unfolded line a
// re-folding client would break.
func longWords(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "word%d ", i)
	}
	return b.String()[:n]
}

// Attachment returns a multipart message with a base64 attachment of about size
// bytes as stored (76-character lines and their LFs), deterministic for a given size.
func Attachment(name string, size int) Message {
	raw := make([]byte, size*57/77) // 57 bytes encode to a 76-character line
	fillRandom(rand.New(rand.NewPCG(uint64(size), 42)), raw)
	var b bytes.Buffer
	b.Grow(size + 1024)
	writeMultipart(&b, headers(name, "MIME-Version: 1.0\n"), raw)
	return Message{name, b.Bytes()}
}

func writeMultipart(b *bytes.Buffer, header string, raw []byte) {
	const boundary = "testlib-boundary-7f3a"
	b.WriteString(strings.TrimSuffix(header, "\n") + "\nContent-Type: multipart/mixed; boundary=\"" + boundary + "\"\n\n")
	b.WriteString("--" + boundary + "\nContent-Type: text/plain; charset=us-ascii\n\nSee the attachment.\n\n")
	b.WriteString("--" + boundary + "\nContent-Type: application/octet-stream\n" +
		"Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"data.bin\"\n\n")
	writeBase64Lines(b, raw)
	b.WriteString("--" + boundary + "--\n")
}

// writeBase64Lines writes raw as base64 in 76-character lines (RFC 2045 §6.8).
func writeBase64Lines(b *bytes.Buffer, raw []byte) {
	var line [76]byte
	for len(raw) > 0 {
		n := min(len(raw), 57)
		base64.StdEncoding.Encode(line[:], raw[:n])
		b.Write(line[:base64.StdEncoding.EncodedLen(n)])
		b.WriteByte('\n')
		raw = raw[n:]
	}
}

func fillRandom(r *rand.Rand, p []byte) {
	for i := 0; i < len(p); i += 8 {
		v := r.Uint64()
		for j := i; j < min(i+8, len(p)); j++ {
			p[j] = byte(v)
			v >>= 8
		}
	}
}
