package imap

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// tlsGreeting is handed to go-imap as the greeting of the TLS session: the server's
// real greeting came before STARTTLS, and none follows the handshake (RFC 9051 §6.2.1).
// It carries no capabilities, so go-imap asks for them again over TLS, as the RFC
// requires.
const tlsGreeting = "* OK [fetchsecure] TLS established\r\n"

// maxUntagged bounds the untagged responses accepted before the answer to STARTTLS.
const maxUntagged = 32

// startTLS reads the greeting and runs STARTTLS (RFC 9051 §6.2.1) itself, so that
// go-imap and the wire guard only ever see the TLS stream. It fails closed: a PREAUTH
// greeting (fetchmail CVE-2021-39272), a refusal, bytes sent after the server's OK
// and before the handshake (response injection, "NO STARTTLS", USENIX Security 2021)
// or a failed handshake end the session, and nothing is sent in plaintext but the
// STARTTLS command.
func (s *Source) startTLS() (*tls.Conn, error) {
	br := bufio.NewReaderSize(s.conn, 4096)
	line, err := s.preLine(br, "read the IMAP greeting")
	if err != nil {
		return nil, err
	}
	if err := greetingOK(line); err != nil {
		return nil, err
	}
	if _, err := io.WriteString(s.conn, "S1 STARTTLS\r\n"); err != nil {
		return nil, fail.Wrap(fail.Temporary, fmt.Errorf("send STARTTLS: %w", err))
	}
	if err := s.startTLSReply(br); err != nil {
		return nil, err
	}
	if n := br.Buffered(); n > 0 {
		return nil, fail.Hint(fail.Security,
			fmt.Errorf("STARTTLS: the server sent %d unexpected bytes before the TLS handshake", n),
			"something on the path may be tampering with the connection; do not use it until this is explained")
	}
	tc := tls.Client(s.conn, s.opts.StartTLS)
	if err := tc.Handshake(); err != nil {
		return nil, handshakeError(err)
	}
	// Let a connection that can record it (tunnel.Conn) know, so that the trace
	// header names the protection: "STARTTLS TLS1.3".
	if r, ok := s.conn.(interface{ StartedTLS(tls.ConnectionState) }); ok {
		r.StartedTLS(tc.ConnectionState())
	}
	return tc, nil
}

// greetingOK accepts "* OK"; PREAUTH before STARTTLS is refused, BYE is "try later".
func greetingOK(line []byte) error {
	switch status, text := untaggedStatus(line); status {
	case "OK":
		return nil
	case "PREAUTH":
		return fail.Hint(fail.Security, errors.New("the server greeted with PREAUTH before STARTTLS"),
			"a PREAUTH greeting would skip TLS; this can be an attack on the connection (CVE-2021-39272), refusing")
	case "BYE":
		return fail.Errorf(fail.Temporary, "the server said BYE instead of a greeting: %s", text)
	}
	return fail.Errorf(fail.Protocol, "the server's greeting is not IMAP: %q", clip(line))
}

// startTLSReply reads the answer to STARTTLS, skipping a few untagged responses.
func (s *Source) startTLSReply(br *bufio.Reader) error {
	for range maxUntagged {
		line, err := s.preLine(br, "read the answer to STARTTLS")
		if err != nil {
			return err
		}
		if bytes.HasPrefix(line, []byte("* ")) {
			continue
		}
		rest, ok := bytes.CutPrefix(line, []byte("S1 "))
		if !ok {
			return fail.Errorf(fail.Protocol, "the answer to STARTTLS is not IMAP: %q", clip(line))
		}
		status, text, _ := strings.Cut(strings.TrimRight(string(rest), "\r\n"), " ")
		if strings.EqualFold(status, "OK") {
			return nil
		}
		return fail.Hint(fail.Security,
			fmt.Errorf("the server refused STARTTLS (%s %s); not continuing without TLS", strings.ToUpper(status), clip([]byte(text))),
			`use tls = "tls" if the server offers IMAPS (port 993)`)
	}
	return fail.Errorf(fail.Protocol, "the server sent more than %d responses before answering STARTTLS", maxUntagged)
}

// preLine reads one line before TLS, bounded by the maximum line length.
func (s *Source) preLine(br *bufio.Reader, what string) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > s.maxLine() {
			return nil, fail.Errorf(fail.Protocol, "%s: a line longer than %d bytes", what, s.maxLine())
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			return nil, fail.Errorf(fail.Temporary, "%s: the server closed the connection", what)
		case err != nil:
			return nil, fail.Wrap(fail.Temporary, fmt.Errorf("%s: %w", what, err))
		}
		return line, nil
	}
}

// untaggedStatus splits "* OK text" into "OK" and "text".
func untaggedStatus(line []byte) (status, text string) {
	rest, ok := bytes.CutPrefix(line, []byte("* "))
	if !ok {
		return "", ""
	}
	status, text, _ = strings.Cut(strings.TrimRight(string(rest), "\r\n"), " ")
	return strings.ToUpper(status), string(clip([]byte(text)))
}

// handshakeError classifies a failed TLS handshake after STARTTLS: the certificate
// check explains itself (fail.Security), a watchdog timeout is fail.Temporary, and
// anything else is a security failure too, since the session cannot be protected.
func handshakeError(err error) error {
	if k := fail.KindOf(err); k == fail.Security || k == fail.Temporary {
		return fmt.Errorf("TLS after STARTTLS: %w", err)
	}
	return fail.Hint(fail.Security, fmt.Errorf("TLS after STARTTLS: %w", err),
		"check the server's certificate, or tls_server_name / ca_file / tls_fingerprint")
}

// clip makes server text safe to show: at most 200 bytes, control bytes as '?'.
func clip(b []byte) []byte {
	b = bytes.TrimRight(b[:min(len(b), 200)], "\r\n")
	return bytes.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, b)
}
