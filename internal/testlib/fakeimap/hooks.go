package fakeimap

import "strings"

// Reply answers the matching commands with raw instead of the server's reply; every
// "%TAG%" in raw becomes the command's tag. match is a verb ("SELECT", "UID FETCH":
// every such command) or, with a prefix "=", a whole command line after the tag
// ("=UID FETCH 1 BODY.PEEK[]"). Example: Reply("SELECT", "%TAG% NO no way\r\n").
func Reply(match, raw string) Hook {
	return func(s *Session, c *Command) Action {
		if !matches(c, match) {
			return Continue
		}
		s.Write(strings.ReplaceAll(raw, "%TAG%", c.Tag))
		return Handled
	}
}

// ReplyAndHangup is Reply, then the connection is closed.
func ReplyAndHangup(match, raw string) Hook {
	return func(s *Session, c *Command) Action {
		if !matches(c, match) {
			return Continue
		}
		s.Write(strings.ReplaceAll(raw, "%TAG%", c.Tag))
		return Hangup
	}
}

// Before writes raw (with %TAG% replaced) before the server's own reply to the
// matching commands: untagged junk, an unexpected response.
func Before(match, raw string) Hook {
	return func(s *Session, c *Command) Action {
		if matches(c, match) {
			s.Write(strings.ReplaceAll(raw, "%TAG%", c.Tag))
		}
		return Continue
	}
}

// CutDuring lets the server answer the matching commands and closes the connection
// after n bytes of the reply.
func CutDuring(match string, n int) Hook {
	return func(s *Session, c *Command) Action {
		if matches(c, match) {
			s.CutAfter(n)
		}
		return Continue
	}
}

// StallOn stops answering at the matching command, until the server is closed.
func StallOn(match string) Hook {
	return func(s *Session, c *Command) Action {
		if !matches(c, match) {
			return Continue
		}
		s.Stall()
		return Hangup
	}
}

// Pretend answers the matching commands with a tagged OK without doing anything: a
// server that claims success for commands it did not run.
func Pretend(match string) Hook {
	return Reply(match, "%TAG% OK done (not really)\r\n")
}

// Chain runs hooks in order; the first that does not return Continue decides.
func Chain(hooks ...Hook) Hook {
	return func(s *Session, c *Command) Action {
		for _, h := range hooks {
			if a := h(s, c); a != Continue {
				return a
			}
		}
		return Continue
	}
}

// OnSession applies h only in session n (1 for the first connection), so that a test
// can make one run fail and the next succeed.
func OnSession(n int, h Hook) Hook {
	return func(s *Session, c *Command) Action {
		if s.id != n {
			return Continue
		}
		return h(s, c)
	}
}

func matches(c *Command, match string) bool {
	if line, ok := strings.CutPrefix(match, "="); ok {
		rest := strings.TrimPrefix(c.Line, c.Tag+" ")
		return strings.TrimRight(rest, "\r\n") == line
	}
	return c.Verb == strings.ToUpper(match)
}
