// Package deliver holds what every delivery target shares: the trace header lines that
// fetchsecure adds to a message, and nothing else of the message is ever changed.
//
// The targets live in the packages below (deliver/maildir, deliver/mbox, deliver/mda,
// deliver/smtp). Each implements fetch.Sink without importing package fetch's
// implementation details: they receive LF-terminated message bytes and an Envelope.
package deliver

import (
	"bytes"
	"strings"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
)

// Trace decides which header lines are prepended to each delivered message.
type Trace struct {
	AddReceived bool   // add a Received: line (RFC 5321 §4.4); on by default
	DeliverTo   string // if set, add Delivered-To: with this address
	Hostname    string // this machine's name for the "by" clause
}

// Header returns the lines to prepend to the message, LF-terminated, or nil.
// Values from the server are sanitised so that no line break can be injected.
func (t Trace) Header(env *fetch.Envelope) []byte {
	var b bytes.Buffer
	if t.DeliverTo != "" {
		b.WriteString("Delivered-To: " + clean(t.DeliverTo) + "\n")
	}
	if t.AddReceived {
		b.WriteString(t.received(env))
	}
	if b.Len() == 0 {
		return nil
	}
	return b.Bytes()
}

func (t Trace) received(env *fetch.Envelope) string {
	host := t.Hostname
	if host == "" {
		host = "localhost"
	}
	with := env.Protocol
	if env.Security != "" {
		with += " (" + clean(env.Security) + ")"
	}
	id := env.Ref.UIDL
	if env.Ref.UID != 0 {
		id = "uid " + itoa(uint64(env.Ref.UID))
	}
	var s strings.Builder
	s.WriteString("Received: from " + clean(env.Server) + "\n\tby " + clean(host) +
		" with " + with + "\n\t(fetchsecure account " + clean(env.Account) + ", folder " +
		clean(env.Folder) + ", " + clean(id) + ")")
	if t.DeliverTo != "" {
		s.WriteString("\n\tfor <" + clean(t.DeliverTo) + ">")
	}
	when := env.Received
	if when.IsZero() {
		when = time.Now()
	}
	s.WriteString("; " + when.Format(time.RFC1123Z) + "\n")
	return s.String()
}

// clean keeps a header value on one line: control characters become '?'.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

func itoa(n uint64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(buf[i:])
		}
	}
}
