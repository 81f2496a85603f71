package spool

import (
	"bufio"
	"io"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// MaxHeader bounds how much of a message is read to find its sender: a header larger
// than this is searched only in its first MaxHeader bytes.
const MaxHeader = 256 << 10

// Sender is what a message's header says about its envelope sender. The addresses are
// raw: whoever puts them on a command line or into an SMTP command must check them.
type Sender struct {
	// ReturnPath is the address in the first Return-Path field (RFC 5322 §3.6.7), which
	// the last delivering server set from the SMTP envelope. "" for the null path <>.
	ReturnPath string
	// HasReturnPath reports whether there is a Return-Path field at all.
	HasReturnPath bool
	// From is the first address of the first From field, "" if there is none.
	From string
}

// Sender reads the spool file's header and returns what it says about the sender. A
// malformed header yields what could be read before the fault; only an I/O error on the
// spool file is returned.
func (m *Message) Sender() (Sender, error) {
	f, err := m.Open()
	if err != nil {
		return Sender{}, err
	}
	defer f.Close()
	return ReadSender(f), nil
}

// ReadSender parses the header at the start of r, reading at most MaxHeader bytes.
func ReadSender(r io.Reader) Sender {
	// ReadHeader returns the fields it read before an error, and a malformed or
	// truncated header must not stop the delivery: use whatever is there.
	h, _ := textproto.ReadHeader(bufio.NewReader(io.LimitReader(r, MaxHeader)))
	var s Sender
	if h.Has("Return-Path") {
		s.HasReturnPath = true
		s.ReturnPath = address(h.Get("Return-Path"))
	}
	s.From = address(h.Get("From"))
	return s
}

// address extracts the first address from a header field value: "Name <a@b>", "a@b
// (comment)", "<a@b>", "a@b, c@d". It returns "" for "<>", for an empty value and for
// an address holding a control character.
func address(v string) string {
	a := firstAddress(v)
	if strings.ContainsFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ""
	}
	return a
}

func firstAddress(v string) string {
	if list, err := mail.ParseAddressList(v); err == nil && len(list) > 0 {
		return list[0].Address
	}
	// Not RFC 5322 (8-bit bytes, a bare local part, garbage): take what is between the
	// first angle brackets, or else the first word.
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j >= 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	if f := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r <= ' ' }); len(f) > 0 {
		return f[0]
	}
	return ""
}
