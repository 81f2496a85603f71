package testlib

import "bytes"

// ToLF turns every CRLF into LF and leaves a lone CR or LF alone, as fetch.Mailbox
// hands messages to a Sink.
func ToLF(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}

// ExpectIMAP returns what a correct client delivers (CRLF turned into LF, trace
// headers aside) when it fetches BODY[] of msg, stored byte for byte as [Dovecot.Append]
// stores it, from Dovecot 2.3 over IMAP.
//
// Measured on Dovecot 2.3.19 (TestDovecotServes): it serves the stored bytes, a bare
// LF as CRLF, and a CRLF, a lone CR, 8-bit and invalid UTF-8 bytes (headers too) and
// a missing final newline unchanged, except that every NUL byte becomes 0x80, in the
// header and in the body: IMAP literals may not hold NUL (RFC 3501 §4.3), and Dovecot
// replaces it rather than sending a literal8 nobody asked for. No correct client can
// recover the NUL, so 0x80 is the byte it must deliver.
func ExpectIMAP(msg []byte) []byte {
	return bytes.ReplaceAll(ToLF(msg), []byte{0}, []byte{0x80})
}

// ExpectPOP3 returns what a correct client delivers when it RETRs msg from Dovecot
// 2.3 over POP3 and undoes the dot-stuffing.
//
// Measured on Dovecot 2.3.19 (TestDovecotServes): the stored bytes, NUL included,
// with a bare LF as CRLF, except that a message that does not end in LF (no final
// newline, a final lone CR, or an empty message) gets a CRLF appended before the
// terminating ".": RFC 1939 §3 needs the terminator on a line of its own, and a
// client cannot tell the added line break from one that was there.
func ExpectPOP3(msg []byte) []byte {
	b := ToLF(msg)
	if len(b) == 0 || b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return b
}
