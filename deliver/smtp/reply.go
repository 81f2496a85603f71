package smtp

import (
	"errors"
	"fmt"
	"strings"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fetchsecure/fetchsecure/deliver/spool"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// maxLine is the longest line RFC 5321 §4.5.3.1.6 obliges a server to take, without
// its CRLF.
const maxLine = 998

// refused classifies the outcome of one step of a transaction; nil stays nil. step
// names the step for the error message: "MAIL FROM", "RCPT TO", "DATA" (the command),
// or "the message" (its transfer and the reply to the final dot).
func (s *SMTP) refused(step string, err error, st spool.Stats) error {
	if err == nil {
		return nil
	}
	longLine := step == "the message" && st.LongestLine > maxLine
	if longLine {
		step += fmt.Sprintf(" (it has a line of %d octets)", st.LongestLine+2)
	}
	reply := s.replyOf(err)
	if reply == nil {
		err = fmt.Errorf("%s: %s: %w", s, step, err)
		if longLine {
			return fail.Hint(fail.Temporary, err, lineHint)
		}
		return fail.Wrap(fail.Temporary, err)
	}
	err = fmt.Errorf("%s refused %s: %s", s, step, replyText(reply))
	switch reply.Code / 100 {
	case 4:
		return fail.Hint(fail.Temporary, err, "the server asks to try again later; the message stays on the server")
	case 5:
		switch {
		case longLine:
			return fail.Hint(fail.Delivery, err, lineHint)
		case step == "RCPT TO":
			return fail.Hint(fail.Delivery, err, "check the recipient (deliver_to) in the configuration")
		case step == "MAIL FROM":
			return fail.Hint(fail.Delivery, err, "the server refused the sender taken from the message's Return-Path")
		}
		return fail.Wrap(fail.Delivery, err)
	}
	return fail.Wrap(fail.Temporary, fmt.Errorf("unexpected reply: %w", err))
}

// replyOf returns the server's reply in err, nil if err is not a reply. For LMTP's
// per-recipient replies after DATA (RFC 2033 §4.2), the one for our recipient.
func (s *SMTP) replyOf(err error) *gosmtp.SMTPError {
	var perRcpt gosmtp.LMTPDataError
	if errors.As(err, &perRcpt) {
		if reply, ok := perRcpt[s.to]; ok {
			return reply
		}
	}
	var reply *gosmtp.SMTPError
	if errors.As(err, &reply) {
		return reply
	}
	return nil
}

// replyText formats a reply as the server sent it: "550 5.1.1 No such user".
func replyText(r *gosmtp.SMTPError) string {
	code := fmt.Sprint(r.Code)
	if e := r.EnhancedCode; e != gosmtp.EnhancedCodeNotSet && e != gosmtp.NoEnhancedCode {
		code += fmt.Sprintf(" %d.%d.%d", e[0], e[1], e[2])
	}
	return code + " " + strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return ' '
		case r < 0x20 || r == 0x7f:
			return '?'
		}
		return r
	}, r.Message)
}

// lineHint explains a refusal of, or a connection closed during, a long-lined message.
const lineHint = "SMTP servers may refuse lines over 1000 octets (RFC 5321 §4.5.3.1.6); " +
	"deliver by LMTP, an MDA or to a maildir instead"
