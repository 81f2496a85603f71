package imap

import "strings"

// maxListed bounds how many LIST replies delimiter looks at: a folder name holding the
// wildcards '*' or '%' matches others, and a hostile server may send any number.
const maxListed = 1000

// delimiter asks for the hierarchy separator of folder with LIST "" folder (RFC 9051
// §6.3.9) and returns it, or 0 when the server has none (a flat namespace, NIL) or
// does not list the folder. Sinks use it to split the name into levels
// (maildir_folders); a failure here costs nothing else, so it is only logged.
func (s *Source) delimiter(folder string) rune {
	cmd := s.c.List("", folder, nil)
	var delim rune
	for n := 0; ; n++ {
		d := cmd.Next()
		if d == nil {
			break
		}
		if n < maxListed && sameFolder(d.Mailbox, folder) {
			delim = d.Delim
		}
	}
	if err := cmd.Close(); err != nil {
		s.opts.Log.Debug("IMAP LIST for the hierarchy separator failed", "folder", folder, "err", err)
		return 0
	}
	return delim
}

// sameFolder compares folder names; INBOX is case-insensitive (RFC 9051 §5.1).
func sameFolder(a, b string) bool {
	return a == b || strings.EqualFold(a, "INBOX") && strings.EqualFold(b, "INBOX")
}
