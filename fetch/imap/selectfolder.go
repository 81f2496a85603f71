package imap

import (
	"github.com/emersion/go-imap/v2"
)

// selectFolder opens folder: with EXAMINE in keep mode, so that the server's flags
// cannot change, unless the server then announces no UIDNEXT.
//
// Courier-IMAP is such a server, and it keeps UIDs only once a folder has been
// opened read-write: until then, each read-only session numbers the messages afresh
// under a new UIDVALIDITY (the time of the session). A client that only ever
// EXAMINEs sees every message as new on every run, and one without a Message-ID is
// delivered again each time. Opened with SELECT, Courier records its UIDs (moving
// new/ to cur/, as any mail reader does). Keep mode stays harmless: it fetches with
// BODY.PEEK[] and never stores a flag or expunges.
func (s *Source) selectFolder(folder string) (*imap.SelectData, error) {
	data, err := s.c.Select(folder, &imap.SelectOptions{ReadOnly: s.opts.Keep}).Wait()
	if err != nil || !s.opts.Keep || data.UIDNext != 0 {
		return data, err
	}
	s.opts.Log.Debug("IMAP server announced no UIDNEXT read-only; selecting the folder read-write so that it keeps its UIDs",
		"folder", folder)
	return s.c.Select(folder, nil).Wait()
}
