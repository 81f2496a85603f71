package interop

import "bytes"

// What each server serves of a message it holds (as its Store returned it, LF form),
// measured with this package's own clients on the Debian 12 packages; the matrix in
// tests/ demands exactly these bytes from fetchsecure. docs/servers.md explains them.

// ExpectCyrusIMAP: Cyrus serves BODY[] exactly as stored, NUL bytes included (in a
// literal8, "~{n}", that the client did not ask for) and a missing final newline
// kept. What Cyrus changed, it changed on the way in (see [Cyrus.Store]).
func ExpectCyrusIMAP(held []byte) []byte { return held }

// ExpectCyrusPOP3: Cyrus's RETR drops everything from a NUL byte up to and
// including the end of its line (so "X-Nul: a\x00b\n" runs into the next header
// line), and ends a message that lacks a final newline with one, as RFC 1939 needs
// the terminating "." on a line of its own.
func ExpectCyrusPOP3(held []byte) []byte {
	var b bytes.Buffer
	for line := range bytes.Lines(held) {
		if i := bytes.IndexByte(line, 0); i >= 0 {
			b.Write(line[:i])
			continue
		}
		b.Write(line)
	}
	return finalNewline(b.Bytes())
}

// ExpectCourierIMAP: Courier serves the maildir file exactly, each LF sent as CRLF
// (so a stored CRLF arrives as CR CRLF, which a client turns back into CRLF), NUL
// bytes raw inside an ordinary literal, no final newline added.
func ExpectCourierIMAP(held []byte) []byte { return held }

// ExpectCourierPOP3: the file as over IMAP, plus a final newline where it lacks one.
// This holds only for a client that sends UTF8 (RFC 6856), as fetchsecure does: to
// any other client, Courier serves a message with 8-bit bytes in its header as a new
// multipart message from "Mail Delivery Subsystem" saying it cannot display it.
func ExpectCourierPOP3(held []byte) []byte { return finalNewline(held) }

// ExpectPopa3d: popa3d serves the mbox entry (after the "From " line, without the
// blank line that ends it) byte for byte, but it ends a header with an empty line,
// and it takes only a bare LF line for one: a message with no such line (no body
// separator, or one written as CRLF) gets an LF appended.
func ExpectPopa3d(held []byte) []byte {
	if !bytes.HasPrefix(held, []byte("\n")) && !bytes.Contains(held, []byte("\n\n")) {
		return append(bytes.Clone(held), '\n')
	}
	return held
}

func finalNewline(b []byte) []byte {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return append(bytes.Clone(b), '\n')
	}
	return b
}

// What a delivery target stores of what fetchsecure sends it (LF form, fetchsecure's
// trace fields excluded), less the trace fields the server adds on top.

// ExpectExim: Exim stores the message as sent, NUL bytes in the body included, but
// it takes a lone CR for a line end: in the body it becomes LF, in the header a
// line end that Exim folds ("a\rb" becomes "a\n b"). It turns a NUL in the header
// into '?', and ends a header that has no empty line after it with one.
func ExpectExim(sent []byte) []byte {
	h := header(sent)
	eh := loneCR(bytes.ReplaceAll(h, []byte{0}, []byte("?")), "\n ")
	out := append(eh, loneCR(sent[len(h):], "\n")...)
	if len(h) == len(sent) {
		out = append(out, '\n')
	}
	return out
}

// ExpectPostfix: Postfix stores the message as sent, NUL bytes in the body
// included, but it turns every lone CR into a space, and cuts a header line at a
// NUL (the rest of the line is lost).
func ExpectPostfix(sent []byte) []byte {
	h := header(sent)
	var b bytes.Buffer
	for line := range bytes.Lines(h) {
		if i := bytes.IndexByte(line, 0); i >= 0 {
			b.Write(line[:i])
			b.WriteByte('\n')
			continue
		}
		b.Write(line)
	}
	return loneCR(append(b.Bytes(), sent[len(h):]...), " ")
}

// loneCR replaces every CR not followed by LF with with.
func loneCR(b []byte, with string) []byte {
	var out bytes.Buffer
	for i, c := range b {
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			out.WriteString(with)
			continue
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}

// ExpectDovecotLMTP: Dovecot's LMTP stores the message exactly as sent (a maildir
// file with LF line ends), NUL bytes and 8-bit header bytes included.
func ExpectDovecotLMTP(sent []byte) []byte { return sent }
