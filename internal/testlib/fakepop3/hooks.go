package fakepop3

import "strings"

// Reply answers the matching commands with raw (add the CRLF yourself) instead of
// the server's reply. match is a verb ("STAT": every STAT) or, if it holds a space, a
// whole command line ("RETR 2"). Example: Reply("STAT", "+OK lots\r\n").
func Reply(match, raw string) Hook {
	return func(s *Session, c Command) Action {
		if !matches(c, match) {
			return Continue
		}
		s.Write(raw)
		return Handled
	}
}

// ReplyAndHangup is Reply, then the connection is closed: for replies cut short.
func ReplyAndHangup(match, raw string) Hook {
	return func(s *Session, c Command) Action {
		if !matches(c, match) {
			return Continue
		}
		s.Write(raw)
		return Hangup
	}
}

func matches(c Command, match string) bool {
	if strings.Contains(match, " ") {
		return c.Line == match
	}
	return c.Verb == strings.ToUpper(match)
}

// CutDuring lets the server answer the command whose line is exactly line (e.g.
// "RETR 2") and closes the connection after n bytes of that reply.
func CutDuring(line string, n int) Hook {
	return func(s *Session, c Command) Action {
		if c.Line == line {
			s.CutAfter(n)
		}
		return Continue
	}
}

// StallOn stops answering at the command whose line is exactly line, until the server
// is closed.
func StallOn(line string) Hook {
	return func(s *Session, c Command) Action {
		if c.Line != line {
			return Continue
		}
		s.Stall()
		return Hangup
	}
}

// Chain runs hooks in order; the first that does not return Continue decides.
func Chain(hooks ...Hook) Hook {
	return func(s *Session, c Command) Action {
		for _, h := range hooks {
			if a := h(s, c); a != Continue {
				return a
			}
		}
		return Continue
	}
}
