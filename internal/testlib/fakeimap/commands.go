package fakeimap

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// respond is the default responder.
func (s *Session) respond(c *Command) error {
	switch c.Verb {
	case "CAPABILITY":
		s.untagged("CAPABILITY " + strings.Join(s.caps(), " "))
		return s.ok("CAPABILITY completed")
	case "NOOP", "CHECK", "ENABLE":
		return s.ok(c.Verb + " completed")
	case "ID":
		s.untagged("ID NIL")
		return s.ok("ID completed")
	case "LOGOUT":
		s.untagged("BYE fakeimap logging out")
		s.ok("LOGOUT completed")
		s.bw.Flush()
		return errHangup
	case "STARTTLS":
		return s.startTLS()
	case "LOGIN":
		return s.login(c)
	}
	if !s.authed {
		return s.bad("log in first")
	}
	return s.authenticated(c)
}

// authenticated handles the commands of the authenticated and selected states.
func (s *Session) authenticated(c *Command) error {
	switch c.Verb {
	case "SELECT", "EXAMINE":
		return s.selectFolder(c)
	case "LIST", "LSUB":
		return s.list(c)
	}
	if s.box == nil {
		return s.bad("no folder selected")
	}
	switch c.Verb {
	case "FETCH", "UID FETCH":
		return s.fetch(c)
	case "STORE", "UID STORE":
		return s.store(c)
	case "UID EXPUNGE":
		if !slices.Contains(s.caps(), "UIDPLUS") {
			return s.bad("unknown command UID EXPUNGE")
		}
		return s.expunge(c, true)
	case "EXPUNGE":
		return s.expunge(c, false)
	case "CLOSE", "UNSELECT":
		if c.Verb == "CLOSE" && !s.readOnly {
			s.srv.expunge(s.box, &s.msgs, func(m *Message) bool { return m.Deleted })
		}
		s.box, s.msgs = nil, nil
		return s.ok(c.Verb + " completed")
	}
	return s.bad("unknown command " + c.Verb)
}

func (s *Session) caps() []string {
	caps := s.srv.cfg.Caps
	if caps == nil {
		caps = []string{"IMAP4rev1", "UIDPLUS"}
	}
	if s.srv.cfg.StartTLS != nil && !s.tls {
		caps = append(slices.Clone(caps), "STARTTLS")
	}
	return caps
}

func (s *Session) startTLS() error {
	if s.srv.cfg.StartTLS == nil || s.tls {
		return s.bad("STARTTLS not available")
	}
	s.ok("Begin TLS negotiation now")
	return s.StartTLS()
}

func (s *Session) login(c *Command) error {
	if len(c.Args) != 2 {
		return s.bad("LOGIN needs a user name and a password")
	}
	if c.Args[0] != s.srv.cfg.User || c.Args[1] != s.srv.cfg.Password {
		return s.no("[AUTHENTICATIONFAILED] invalid credentials")
	}
	s.authed = true
	return s.ok("LOGIN completed")
}

func (s *Session) selectFolder(c *Command) error {
	s.box, s.msgs = nil, nil
	if len(c.Args) < 1 {
		return s.bad("SELECT needs a folder")
	}
	name, _ := DecodeMailbox(c.Args[0])
	f := s.srv.folder(name)
	if f == nil {
		return s.no("[NONEXISTENT] no such folder")
	}
	s.box, s.readOnly = f, c.Verb == "EXAMINE"
	s.msgs, s.validity = s.srv.snapshot(f)
	next := uint32(1)
	for _, m := range s.msgs {
		next = max(next, m.UID+1)
	}
	s.untagged(`FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`)
	s.untagged(fmt.Sprintf("%d EXISTS", len(s.msgs)))
	s.untagged("0 RECENT")
	s.untagged(fmt.Sprintf("OK [UIDVALIDITY %d] UIDs valid", s.validity))
	s.untagged(fmt.Sprintf("OK [UIDNEXT %d] predicted next UID", next))
	if s.readOnly {
		return s.ok("[READ-ONLY] EXAMINE completed")
	}
	return s.ok("[READ-WRITE] SELECT completed")
}

func (s *Session) list(c *Command) error {
	pattern := ""
	if len(c.Args) > 1 {
		pattern = c.Args[1]
	}
	switch {
	case pattern == "": // RFC 9051 §6.3.9: the hierarchy delimiter only
		s.untagged(`LIST (\Noselect) "/" ""`)
	case !strings.ContainsAny(pattern, "*%"):
		if slices.Contains(s.srv.order, pattern) {
			s.untagged(`LIST () "/" ` + astring(pattern))
		}
	default: // any wildcard: every folder, hostile names included
		for _, name := range s.srv.order {
			s.untagged(`LIST () "/" ` + astring(name))
		}
	}
	return s.ok(c.Verb + " completed")
}

// astring quotes name, or sends it as a literal when a quoted string cannot hold it.
func astring(name string) string {
	if strings.ContainsAny(name, "\r\n\"\\\x00") || strings.ContainsFunc(name, func(r rune) bool { return r >= 0x80 }) {
		return fmt.Sprintf("{%d}\r\n%s", len(name), name)
	}
	return `"` + name + `"`
}

// matching returns the sequence numbers (from 1) of the session's messages in the set.
func (s *Session) matching(setArg string, byUID bool) ([]int, bool) {
	var star uint32
	for _, m := range s.msgs {
		star = max(star, m.UID)
	}
	if !byUID {
		star = uint32(len(s.msgs))
	}
	st, ok := parseSet(setArg, star)
	var seqs []int
	for i, m := range s.msgs {
		n := uint32(i + 1)
		if byUID {
			n = m.UID
		}
		if ok && st.has(n) {
			seqs = append(seqs, i+1)
		}
	}
	return seqs, ok
}

func (s *Session) fetch(c *Command) error {
	if len(c.Args) < 2 {
		return s.bad("FETCH needs a set and items")
	}
	uidCmd := c.Verb == "UID FETCH"
	seqs, ok := s.matching(c.Args[0], uidCmd)
	if !ok {
		return s.bad("bad sequence set")
	}
	it := parseItems(c.Args[0], strings.Join(c.Args[1:], " "), uidCmd)
	for _, seq := range seqs {
		m := s.msgs[seq-1]
		if render := s.srv.cfg.Render; render != nil {
			render(s, seq, m, it)
		} else {
			s.Render(seq, m, it)
		}
		if it.Body && !s.readOnly && !strings.Contains(strings.ToUpper(c.Line), "PEEK") {
			t := true
			s.srv.flag(m, nil, &t)
		}
	}
	return s.ok(c.Verb + " completed")
}

// Render writes the default FETCH response for message m (sequence number seq):
// "* seq FETCH (UID u RFC822.SIZE n FLAGS (...) BODY[] {n}\r\n...)". Config.Render
// may call it for the messages it does not alter.
func (s *Session) Render(seq int, m *Message, it Items) {
	s.Writef("* %d FETCH (%s", seq, s.Attrs(m, it))
	if it.Body {
		s.Writef(" BODY[] {%d}\r\n", len(m.Data))
		s.bw.Write(m.Data)
	}
	s.Write(")\r\n")
}

// Attrs returns the non-body attributes of a FETCH response: "UID 4 RFC822.SIZE 120".
func (s *Session) Attrs(m *Message, it Items) string {
	var parts []string
	if it.UID {
		parts = append(parts, "UID "+strconv.FormatUint(uint64(m.UID), 10))
	}
	if it.Size {
		parts = append(parts, "RFC822.SIZE "+strconv.Itoa(len(m.Data)))
	}
	if it.Flags {
		parts = append(parts, "FLAGS ("+flags(m)+")")
	}
	return strings.Join(parts, " ")
}

func flags(m *Message) string {
	var f []string
	if m.Seen {
		f = append(f, `\Seen`)
	}
	if m.Deleted {
		f = append(f, `\Deleted`)
	}
	return strings.Join(f, " ")
}

// store handles "[UID] STORE set +FLAGS[.SILENT] (flags)" for \Deleted and \Seen.
func (s *Session) store(c *Command) error {
	if len(c.Args) < 3 {
		return s.bad("STORE needs a set, an operation and flags")
	}
	if s.readOnly {
		return s.no("[READ-ONLY] the folder was opened with EXAMINE")
	}
	uidCmd := c.Verb == "UID STORE"
	seqs, ok := s.matching(c.Args[0], uidCmd)
	if !ok {
		return s.bad("bad sequence set")
	}
	op := strings.ToUpper(c.Args[1])
	fl := strings.ToUpper(strings.Join(c.Args[2:], " "))
	set := !strings.HasPrefix(op, "-")
	for _, seq := range seqs {
		m := s.msgs[seq-1]
		var del, seen *bool
		if strings.Contains(fl, `\DELETED`) {
			del = &set
		}
		if strings.Contains(fl, `\SEEN`) {
			seen = &set
		}
		s.srv.flag(m, del, seen)
		if !strings.HasSuffix(op, ".SILENT") {
			s.untagged(fmt.Sprintf("%d FETCH (%s)", seq, s.Attrs(m, Items{UID: uidCmd, Flags: true})))
		}
	}
	return s.ok(c.Verb + " completed")
}

// expunge removes the \Deleted messages (only those in the UID set for UID EXPUNGE,
// RFC 4315 §2.1) and reports each with "* n EXPUNGE".
func (s *Session) expunge(c *Command, uidCmd bool) error {
	if s.readOnly {
		return s.no("[READ-ONLY] the folder was opened with EXAMINE")
	}
	inSet := func(*Message) bool { return true }
	if uidCmd {
		if len(c.Args) < 1 {
			return s.bad("UID EXPUNGE needs a UID set")
		}
		var star uint32
		for _, m := range s.msgs {
			star = max(star, m.UID)
		}
		st, ok := parseSet(c.Args[0], star)
		if !ok {
			return s.bad("bad UID set")
		}
		inSet = func(m *Message) bool { return st.has(m.UID) }
	}
	for _, seq := range s.srv.expunge(s.box, &s.msgs, func(m *Message) bool { return m.Deleted && inSet(m) }) {
		s.untagged(fmt.Sprintf("%d EXPUNGE", seq))
	}
	return s.ok(c.Verb + " completed")
}
