package imap

// delimiter asks once per session for the hierarchy separator with LIST "" "" (RFC 9051
// §6.3.9: an empty mailbox name returns the root's delimiter and nothing else), and
// returns it, or 0 for a flat namespace (NIL). Only maildir_folders needs it to split a
// folder name into levels, so it is asked only then (Options.Delim). Listing the folder
// itself would work too, but would make the server send folder names — and a name that
// is not valid modified UTF-7 makes go-imap drop the whole connection. A failure here is
// only logged: the sink then splits on '/'.
func (s *Source) delimiter() rune {
	if !s.opts.Delim {
		return 0
	}
	if s.delimKnown {
		return s.delim
	}
	cmd := s.c.List("", "", nil)
	var delim rune
	for d := cmd.Next(); d != nil; d = cmd.Next() {
		if d.Mailbox == "" {
			delim = d.Delim
		}
	}
	if err := cmd.Close(); err != nil {
		s.opts.Log.Debug("IMAP LIST for the hierarchy separator failed", "err", err)
		return 0
	}
	s.delim, s.delimKnown = delim, true
	return delim
}
