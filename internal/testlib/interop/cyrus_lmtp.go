package interop

import (
	"bytes"
	"regexp"
)

// What Cyrus lmtpd makes of a message (measured): it refuses one holding NUL or a
// CR in its header for good, munges 8-bit header bytes to 'X' (munge8bit), and adds
// a Message-ID: and a Date: field at the end of a header that lacks them.

// CyrusLMTPRefuses returns lmtpd's reply to a message it refuses, "" otherwise.
func CyrusLMTPRefuses(sent []byte) string {
	switch {
	case bytes.IndexByte(sent, 0) >= 0:
		return "554 5.6.0 Message contains NUL characters"
	case bytes.IndexByte(header(sent), '\r') >= 0:
		return "554 5.6.0 Message contains invalid header"
	}
	return ""
}

// ExpectCyrusLMTP returns what lmtpd stores of sent, the values of the fields it
// adds masked as maskAdded masks them.
func ExpectCyrusLMTP(sent []byte) []byte {
	h := header(sent)
	out := munge8bit(bytes.ReplaceAll(sent, []byte("\n"), []byte("\r\n")))
	out = bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n"))
	var add []byte
	if !hasField(h, "Message-ID") {
		add = append(add, "Message-ID: <cmu-lmtpd-*>\n"...)
	}
	if !hasField(h, "Date") {
		add = append(add, "Date: *\n"...)
	}
	return maskAdded(append(append(bytes.Clone(out[:len(h)]), add...), out[len(h):]...))
}

var (
	addedID   = regexp.MustCompile(`(?m)^Message-ID: <cmu-lmtpd-[^>\n]*>$`)
	lastDate  = regexp.MustCompile(`\nDate: [^\n]*\n$`)
	endOfHead = []byte("\n\n")
)

// maskAdded replaces the values lmtpd invents: a Message-ID: <cmu-lmtpd-...> and a
// Date: field that ends the header.
func maskAdded(m []byte) []byte {
	h := header(m)
	body := m[len(h):]
	h = addedID.ReplaceAll(h, []byte("Message-ID: <cmu-lmtpd-*>"))
	h = lastDate.ReplaceAll(h, []byte("\nDate: *\n"))
	return append(bytes.Clone(h), body...)
}

// header returns m up to and including the line that ends its header (m itself if
// it has no body).
func header(m []byte) []byte {
	if bytes.HasPrefix(m, []byte("\n")) {
		return nil
	}
	if i := bytes.Index(m, endOfHead); i >= 0 {
		return m[:i+1]
	}
	return m
}

func hasField(h []byte, name string) bool {
	for line := range bytes.Lines(h) {
		if len(line) > len(name) && line[len(name)] == ':' && bytes.EqualFold(line[:len(name)], []byte(name)) {
			return true
		}
	}
	return false
}
