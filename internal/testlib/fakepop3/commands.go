package fakepop3

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// authorization handles the AUTHORIZATION state (RFC 1939 §4).
func (s *Session) authorization(c Command) error {
	cfg := &s.srv.cfg
	switch c.Verb {
	case "CAPA":
		return s.capa()
	case "STLS":
		if cfg.STLS == nil || s.tls {
			return s.errf("STLS not available")
		}
		return s.startTLS()
	case "UTF8":
		if !cfg.UTF8 {
			return s.errf("unknown command")
		}
		s.utf8 = true
		return s.ok("UTF8 enabled")
	case "USER":
		if cfg.NoUser {
			return s.errf("USER not supported")
		}
		s.user = c.Arg
		return s.ok("send PASS")
	case "PASS":
		return s.login(s.user, c.Arg)
	case "APOP":
		return s.apop(c.Arg)
	case "AUTH":
		return s.auth(c.Arg)
	case "QUIT":
		s.ok("bye")
		return errHangup
	}
	return s.errf("unknown command or not logged in")
}

func (s *Session) capa() error {
	cfg := &s.srv.cfg
	if cfg.NoCAPA {
		return s.errf("unknown command")
	}
	caps := []string{"TOP", "RESP-CODES", "AUTH-RESP-CODE"}
	add := func(on bool, c string) {
		if on {
			caps = append(caps, c)
		}
	}
	add(!cfg.NoUIDL, "UIDL")
	add(!cfg.NoUser && !s.authed, "USER")
	add(cfg.Pipelining, "PIPELINING")
	add(cfg.STLS != nil && !s.tls && !s.authed, "STLS")
	add(cfg.SASLPlain && !s.authed, "SASL PLAIN")
	add(cfg.UTF8, "UTF8")
	caps = append(caps, cfg.ExtraCaps...)
	s.ok("capability list follows")
	for _, c := range caps {
		s.bw.WriteString(c + "\r\n")
	}
	_, err := s.bw.WriteString(".\r\n")
	return err
}

// login checks the credentials and enters the TRANSACTION state.
func (s *Session) login(user, pass string) error {
	cfg := &s.srv.cfg
	if user != cfg.User || pass != cfg.Password {
		return s.errf("[AUTH] invalid user name or password")
	}
	s.authed = true
	s.msgs = s.srv.snapshot()
	return s.ok("logged in")
}

func (s *Session) apop(arg string) error {
	user, digest, _ := strings.Cut(arg, " ")
	sum := md5.Sum([]byte(s.stamp + s.srv.cfg.Password))
	if s.stamp == "" || digest != hex.EncodeToString(sum[:]) {
		return s.errf("[AUTH] APOP failed")
	}
	return s.login(user, s.srv.cfg.Password)
}

// auth handles AUTH PLAIN with or without an initial response (RFC 5034).
func (s *Session) auth(arg string) error {
	mech, ir, hasIR := strings.Cut(arg, " ")
	if !s.srv.cfg.SASLPlain || !strings.EqualFold(mech, "PLAIN") {
		return s.errf("unsupported mechanism")
	}
	if !hasIR {
		s.pending = "PLAIN"
		_, err := s.bw.WriteString("+ \r\n")
		return err
	}
	return s.plain(ir)
}

func (s *Session) saslResponse(line string) error {
	s.pending = ""
	if line == "*" {
		return s.errf("AUTH cancelled")
	}
	return s.plain(line)
}

func (s *Session) plain(b64 string) error {
	if b64 == "=" {
		b64 = ""
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 {
		return s.errf("malformed AUTH PLAIN response")
	}
	return s.login(parts[1], parts[2])
}

// transaction handles the TRANSACTION state (RFC 1939 §5).
func (s *Session) transaction(c Command) error {
	switch c.Verb {
	case "CAPA":
		return s.capa()
	case "STAT":
		n, size := 0, 0
		for i, m := range s.msgs {
			if !s.deleted[i+1] {
				n, size = n+1, size+len(m.data)
			}
		}
		return s.ok(fmt.Sprintf("%d %d", n, size))
	case "LIST", "UIDL":
		return s.listing(c)
	case "RETR", "TOP":
		return s.retr(c)
	case "DELE":
		n, err := s.num(c.Arg)
		if err != "" {
			return s.errf(err)
		}
		s.deleted[n] = true
		return s.ok("marked")
	case "RSET":
		clear(s.deleted)
		return s.ok("reset")
	case "NOOP":
		return s.ok("")
	case "QUIT":
		return s.quit()
	}
	return s.errf("unknown command")
}

// num parses a message number that is present and not deleted.
func (s *Session) num(arg string) (int, string) {
	first, _, _ := strings.Cut(arg, " ")
	n, err := strconv.Atoi(first)
	if err != nil || n < 1 || n > len(s.msgs) {
		return 0, "no such message"
	}
	if s.deleted[n] {
		return 0, "message deleted"
	}
	return n, ""
}

func (s *Session) listing(c Command) error {
	if c.Verb == "UIDL" && s.srv.cfg.NoUIDL {
		return s.errf("unknown command")
	}
	item := func(n int) string {
		if c.Verb == "UIDL" {
			return fmt.Sprintf("%d %s", n, s.msgs[n-1].uidl)
		}
		return fmt.Sprintf("%d %d", n, len(s.msgs[n-1].data))
	}
	if c.Arg != "" {
		n, err := s.num(c.Arg)
		if err != "" {
			return s.errf(err)
		}
		return s.ok(item(n))
	}
	s.ok("listing follows")
	for n := 1; n <= len(s.msgs); n++ {
		if !s.deleted[n] {
			s.bw.WriteString(item(n) + "\r\n")
		}
	}
	_, err := s.bw.WriteString(".\r\n")
	return err
}

// retr sends a message (RETR n) or its header and first lines (TOP n lines).
func (s *Session) retr(c Command) error {
	n, errText := s.num(c.Arg)
	if errText != "" {
		return s.errf(errText)
	}
	data := s.msgs[n-1].data
	if c.Verb == "TOP" {
		_, l, _ := strings.Cut(c.Arg, " ")
		lines, err := strconv.Atoi(l)
		if err != nil || lines < 0 {
			return s.errf("bad TOP arguments")
		}
		data = top(data, lines)
	}
	s.ok(fmt.Sprintf("%d octets", len(data)))
	return writeStuffed(s.bw, data)
}

// quit enters the UPDATE state (RFC 1939 §6): marked messages are removed.
func (s *Session) quit() error {
	gone := map[*message]bool{}
	for n := range s.deleted {
		gone[s.msgs[n-1]] = true
	}
	s.srv.expunge(gone)
	s.ok("bye")
	return errHangup
}
