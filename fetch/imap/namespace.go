package imap

import "github.com/emersion/go-imap/v2"

// learnNamespace asks the server, once per session, for the prefix of its personal
// namespace (NAMESPACE, RFC 2342): "INBOX." on Cyrus and Courier, which keep every
// folder below INBOX, "" on Dovecot. package deliver/maildir drops it from folder
// names, so that Cyrus's "INBOX.Lists.go-nuts" lands in .Lists.go-nuts as Dovecot's
// "Lists/go-nuts" does. Like the delimiter, it is asked only for maildir_folders
// (Options.Delim). A server without the extension, or a failure, means "". The
// prefix comes as a plain string, so no folder name can break the session here.
func (s *Source) learnNamespace() {
	if s.ns != nil || !s.opts.Delim {
		return
	}
	prefix := ""
	s.ns = &prefix
	if !s.c.Caps().Has(imap.CapNamespace) {
		return
	}
	data, err := s.c.Namespace().Wait()
	if err != nil {
		s.opts.Log.Debug("IMAP NAMESPACE failed", "err", err)
		return
	}
	if len(data.Personal) > 0 {
		prefix = data.Personal[0].Prefix
	}
}

// Prefix implements fetch.Namespacer.
func (m *mailbox) Prefix() string {
	if m.s.ns == nil {
		return ""
	}
	return *m.s.ns
}
