package pop3

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// maxCapaLines bounds a CAPA reply; real servers send about a dozen lines.
const maxCapaLines = 256

// capa asks for the capabilities (RFC 2449 §5). A server without CAPA (popa3d answers
// -ERR) is not an error: it simply has no extensions, c.caps stays nil.
func (c *Client) capa() error {
	c.caps = nil
	_, err := c.cmd(fail.Protocol, "CAPA")
	var perr *Error
	if errors.As(err, &perr) {
		return nil
	}
	if err != nil {
		return err
	}
	caps := make(map[string]string)
	err = c.readMulti(maxCapaLines, func(line []byte) error {
		tag, args, _ := bytes.Cut(line, []byte{' '})
		caps[strings.ToUpper(string(tag))] = string(args)
		return nil
	})
	if err != nil {
		return err
	}
	c.caps = caps
	return nil
}

// hasSASL reports whether the server offers the SASL mechanism (RFC 5034 §3).
func (c *Client) hasSASL(mech string) bool {
	for _, m := range strings.Fields(c.caps["SASL"]) {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// startTLS runs STLS (RFC 2595 §4) and fails closed: no STLS in CAPA, a -ERR, bytes
// sent after the +OK or a failed handshake end the session with fail.Security, and
// nothing else is sent in plaintext. The capabilities are asked again over TLS.
func (c *Client) startTLS() error {
	hint := "the server does not protect the session with STLS; use tls = \"tls\" (port 995) or ask its administrator"
	if !c.Has("STLS") {
		return fail.Hint(fail.Security, errors.New("STLS required but the server does not advertise it (CAPA)"), hint)
	}
	ok, rest, err := c.stls()
	if err != nil {
		return err
	}
	if !ok {
		return fail.Hint(fail.Security, fmt.Errorf("STLS required: %w", newError("STLS", rest)), hint)
	}
	if c.br.Buffered() > 0 {
		// Response injection ("NO STARTTLS", Poddebniak et al., USENIX Security
		// 2021): bytes after the +OK came in plaintext and must never be read later
		// as if the TLS session had protected them.
		return fail.Hint(fail.Security,
			fmt.Errorf("STLS: the server sent %d unexpected bytes before the TLS handshake", c.br.Buffered()),
			"something on the path may be tampering with the connection; do not use it until this is explained")
	}
	if err := c.handshake(); err != nil {
		return err
	}
	return c.capa()
}

func (c *Client) stls() (bool, []byte, error) {
	if err := c.send("STLS"); err != nil {
		return false, nil, err
	}
	return c.readStatus()
}

// handshake wraps the conn in TLS and points the buffers at it.
func (c *Client) handshake() error {
	tconn := tls.Client(c.conn, c.opts.StartTLS)
	c.wait()
	if err := tconn.HandshakeContext(context.Background()); err != nil {
		return c.fatal(fail.Hint(fail.Security, fmt.Errorf("STLS handshake: %w", err),
			"check the server's certificate, or tls_server_name / ca_file / tls_fingerprint"))
	}
	startedTLS(c.conn, tconn.ConnectionState())
	c.conn, c.tls = tconn, true
	c.br.Reset(tconn)
	c.bw.Reset(tconn)
	return nil
}

// startedTLS tells a connection that can record it (tunnel.Conn) that STLS
// succeeded on it, so that the trace header names the protection: "STARTTLS TLS1.3".
func startedTLS(conn any, cs tls.ConnectionState) {
	if r, ok := conn.(interface{ StartedTLS(tls.ConnectionState) }); ok {
		r.StartedTLS(cs)
	}
}

// utf8 enables UTF-8 mode when offered (RFC 6856 §2). Courier otherwise replaces mail
// with 8-bit headers by a "cannot display Unicode content" notice. It is valid only
// before authentication. A refusal is logged, not fatal.
func (c *Client) utf8() error {
	if !c.Has("UTF8") {
		return nil
	}
	_, err := c.cmd(fail.Protocol, "UTF8")
	var perr *Error
	if errors.As(err, &perr) {
		c.log.Warn("pop3 server refused UTF8; it may rewrite messages with 8-bit headers", "reply", perr.Text)
		return nil
	}
	return err
}
