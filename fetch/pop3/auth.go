package pop3

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/emersion/go-sasl"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Login authenticates with the mechanism chosen by Options.Auth. Failures are
// fail.Auth errors carrying the server's text (never the password), or
// fail.Temporary when the server's response code says so (RFC 2449 §8: IN-USE,
// LOGIN-DELAY; RFC 3206: SYS/TEMP). A password that would cross a plaintext stream is
// refused with fail.Security before anything is sent.
func (c *Client) Login(user, password string) error {
	if err := c.usable(); err != nil {
		return err
	}
	defer c.idle()
	if c.authed {
		return fail.Errorf(fail.Internal, "pop3: already logged in")
	}
	if err := errors.Join(checkArg(user), checkArg(password)); err != nil {
		return err
	}
	err := c.login(user, password)
	if err != nil {
		return err
	}
	c.authed = true
	if c.caps != nil {
		return c.capa() // RFC 2449 §5: capabilities may change after login
	}
	return nil
}

func (c *Client) login(user, password string) error {
	mech := c.opts.Auth
	if mech == "" || mech == "auto" {
		mech = "user"
		if c.hasSASL(sasl.Plain) {
			mech = "plain"
		}
	}
	switch mech {
	case "plain":
		return c.authPlain(user, password)
	case "user", "login":
		return c.userPass(user, password)
	case "apop":
		return c.apop(user, password)
	case "oauth2":
		return c.oauth2(user, password)
	}
	return fail.Errorf(fail.Config, "pop3: unknown auth %q (want auto, plain, login, apop or oauth2)", mech)
}

// plaintextPolicy refuses to send a password over a stream nobody vouched for.
func (c *Client) plaintextPolicy(what string) error {
	if c.tls || c.opts.PlaintextOK {
		return nil
	}
	return fail.Hint(fail.Security,
		fmt.Errorf("refusing to send the password with %s over an unencrypted connection", what),
		`use tls = "tls" or "starttls", or an SSH tunnel`)
}

// userPass is USER and PASS (RFC 1939 §7).
func (c *Client) userPass(user, password string) error {
	if err := c.plaintextPolicy("USER/PASS"); err != nil {
		return err
	}
	if _, err := c.cmd(fail.Auth, "USER", user); err != nil {
		return fmt.Errorf("login as %q: %w", user, err)
	}
	if _, err := c.cmd(fail.Auth, "PASS", password); err != nil {
		return fmt.Errorf("login as %q: %w", user, err)
	}
	return nil
}

// apop is APOP (RFC 1939 §7): the password never crosses the wire, only
// MD5(timestamp password).
func (c *Client) apop(user, password string) error {
	if c.timestamp == "" {
		return fail.Hint(fail.Auth, errors.New("APOP: the server's greeting has no timestamp"),
			`the server does not support APOP; use auth = "auto"`)
	}
	sum := md5.Sum([]byte(c.timestamp + password))
	if _, err := c.cmd(fail.Auth, "APOP", user, hex.EncodeToString(sum[:])); err != nil {
		return fmt.Errorf("login as %q: %w", user, err)
	}
	return nil
}

// authPlain is AUTH PLAIN (RFC 5034, RFC 4616) with the initial response on the
// command line when it fits in 255 octets (RFC 5034 §4).
func (c *Client) authPlain(user, password string) error {
	if c.caps != nil && !c.hasSASL(sasl.Plain) {
		return fail.Hint(fail.Auth, errors.New("the server does not offer AUTH PLAIN"),
			`use auth = "login" or "auto"`)
	}
	if err := c.plaintextPolicy("AUTH PLAIN"); err != nil {
		return err
	}
	if err := c.sasl(sasl.NewPlainClient("", user, password)); err != nil {
		return fmt.Errorf("login as %q: %w", user, err)
	}
	return nil
}

// sasl runs an AUTH exchange (RFC 5034 §4): "+ base64" lines are challenges, "*"
// cancels after a client-side error.
func (c *Client) sasl(client sasl.Client) error {
	mech, ir, err := client.Start()
	if err != nil {
		return fail.Wrap(fail.Auth, err)
	}
	args := []string{mech}
	if ir != nil && len("AUTH  \r\n")+len(mech)+base64.StdEncoding.EncodedLen(len(ir)) <= 255 {
		args = append(args, encodeIR(ir))
		ir = nil
	}
	if err := c.send("AUTH", args...); err != nil {
		return err
	}
	for {
		if err := c.flush(); err != nil {
			return err
		}
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if len(line) == 0 || line[0] != '+' || hasWord(line, "+OK") {
			return c.saslDone(line)
		}
		resp, err := c.saslStep(client, line[1:], &ir)
		if err != nil {
			return err
		}
		if err := c.send("", resp); err != nil {
			return err
		}
	}
}

// saslStep answers one challenge; the initial response if it was held back.
func (c *Client) saslStep(client sasl.Client, b64 []byte, held *[]byte) (string, error) {
	if *held != nil {
		resp := encodeIR(*held)
		*held = nil
		return resp, nil
	}
	challenge, err := base64.StdEncoding.DecodeString(string(bytes.TrimLeft(b64, " ")))
	if err == nil {
		var resp []byte
		if resp, err = client.Next(challenge); err == nil {
			return base64.StdEncoding.EncodeToString(resp), nil
		}
	}
	// Cancel (RFC 5034 §4: "*"), then read the server's -ERR.
	if serr := c.send("*"); serr != nil {
		return "", serr
	}
	if _, _, serr := c.readStatus(); serr != nil {
		return "", serr
	}
	return "", fail.Wrap(fail.Auth, fmt.Errorf("AUTH: %w", err))
}

// saslDone turns the final line of an AUTH exchange into nil or an error.
func (c *Client) saslDone(line []byte) error {
	ok, rest, err := parseStatus(line)
	if err != nil {
		return c.fatal(fail.Wrap(fail.Protocol, err))
	}
	if !ok {
		return classify(newError("AUTH", rest), fail.Auth)
	}
	return nil
}

// encodeIR encodes an initial response; "=" is an empty one (RFC 5034 §4).
func encodeIR(ir []byte) string {
	if len(ir) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(ir)
}
