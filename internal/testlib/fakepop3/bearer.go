package fakepop3

import (
	"encoding/base64"
	"strings"
)

// Bearer returns a Hook that makes the server take OAuth 2.0 access tokens with AUTH
// OAUTHBEARER (RFC 7628) and AUTH XOAUTH2, with or without an initial response. It
// logs the session in when valid(user, token) says so; otherwise it sends the JSON
// error challenge, waits for the client's dummy response and answers -ERR, as Gmail
// does. Advertise the mechanisms with Config.ExtraCaps, e.g.
// "SASL OAUTHBEARER XOAUTH2" (and leave SASLPlain off: CAPA has one SASL line).
func Bearer(valid func(user, token string) bool) Hook {
	return func(s *Session, c Command) Action {
		switch {
		case strings.HasPrefix(s.pending, "bearer-failed"):
			s.pending = ""
			s.errf("[AUTH] invalid token")
			return Handled
		case strings.HasPrefix(s.pending, "bearer:"):
			mech := strings.TrimPrefix(s.pending, "bearer:")
			s.pending = ""
			s.bearer(mech, c.Line, valid)
			return Handled
		case s.authed || c.Verb != "AUTH":
			return Continue
		}
		mech, ir, hasIR := strings.Cut(c.Arg, " ")
		mech = strings.ToUpper(mech)
		if mech != "OAUTHBEARER" && mech != "XOAUTH2" {
			return Continue
		}
		if !hasIR {
			s.pending = "bearer:" + mech
			s.bw.WriteString("+ \r\n")
			return Handled
		}
		s.bearer(mech, ir, valid)
		return Handled
	}
}

// bearer checks one initial response.
func (s *Session) bearer(mech, b64 string, valid func(user, token string) bool) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	user, token, ok := parseBearer(mech, string(raw))
	if err == nil && ok && valid(user, token) {
		s.authed = true
		s.msgs = s.srv.snapshot()
		s.ok("logged in")
		return
	}
	s.pending = "bearer-failed"
	challenge := `{"status":"invalid_token","schemes":"bearer","scope":"https://mail.example.test/"}`
	s.bw.WriteString("+ " + base64.StdEncoding.EncodeToString([]byte(challenge)) + "\r\n")
}

// parseBearer reads the user and token of an XOAUTH2 or OAUTHBEARER initial response.
func parseBearer(mech, ir string) (user, token string, ok bool) {
	fields := strings.Split(ir, "\x01")
	if mech == "OAUTHBEARER" {
		gs2 := strings.Split(fields[0], ",")
		if len(gs2) < 2 || gs2[0] != "n" || !strings.HasPrefix(gs2[1], "a=") {
			return "", "", false
		}
		user = strings.NewReplacer("=2C", ",", "=3D", "=").Replace(gs2[1][2:])
		fields = fields[1:]
	}
	for _, f := range fields {
		if u, found := strings.CutPrefix(f, "user="); found && mech == "XOAUTH2" {
			user = u
		}
		if t, found := strings.CutPrefix(f, "auth=Bearer "); found {
			token = t
		}
	}
	return user, token, user != "" && token != ""
}
