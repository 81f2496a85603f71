package imap

import (
	"github.com/emersion/go-imap/v2"
)

// namespace is what a session learns once of the server's folder hierarchy.
type namespace struct {
	delim  rune   // hierarchy delimiter, 0 if the server has none
	prefix string // personal namespace prefix: "INBOX." on Cyrus and Courier
}

// learnNamespace asks the server, once per session, for its personal namespace
// (NAMESPACE, RFC 2342) or, without that extension, for its hierarchy delimiter
// (LIST "" "", RFC 9051 §6.3.9). A failure is not an error: the folder names are
// then taken to be '/'-separated, as Dovecot's usual ones are.
func (s *Source) learnNamespace() {
	if s.ns != nil {
		return
	}
	s.ns = &namespace{delim: '/'}
	if s.c.Caps().Has(imap.CapNamespace) {
		data, err := s.c.Namespace().Wait()
		if err == nil && len(data.Personal) > 0 {
			s.ns.delim, s.ns.prefix = data.Personal[0].Delim, data.Personal[0].Prefix
			return
		}
	}
	if list, err := s.c.List("", "", nil).Collect(); err == nil && len(list) > 0 {
		s.ns.delim = list[0].Delim
	}
}

// Hierarchy implements fetch.Hierarchy.
func (m *mailbox) Hierarchy() (delim rune, prefix string) {
	if m.s.ns == nil {
		return '/', ""
	}
	return m.s.ns.delim, m.s.ns.prefix
}
