package pop3

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

func TestSTLS(t *testing.T) {
	serverTLS, clientTLS := fakepop3.TLSConfigs(t)
	srv := fakepop3.Start(t, fakepop3.Config{STLS: serverTLS, SASLPlain: true})
	c := connect(t, srv, Options{StartTLS: clientTLS})
	if !c.TLS() || !c.Has("SASL") || c.Has("STLS") {
		t.Fatalf("after STLS: TLS %v, caps %v; want TLS and the capabilities asked again", c.TLS(), c.caps)
	}
	if err := c.Login("user", "secret"); err != nil {
		t.Fatalf("Login over STLS = %v", err)
	}
	for _, cmd := range srv.Commands() {
		if !cmd.TLS && cmd.Verb != "CAPA" && cmd.Verb != "STLS" {
			t.Errorf("%s sent before TLS", cmd.Verb)
		}
	}
	if got := verbs(srv); got != "CAPA STLS CAPA AUTH CAPA" {
		t.Errorf("commands %q, want CAPA STLS CAPA AUTH CAPA", got)
	}
}

// TestSTLSRefused: with STLS required, every way the server can fail to provide it
// ends the session before any credentials are sent (RFC 2595 §4, no fallback).
func TestSTLSRefused(t *testing.T) {
	serverTLS, clientTLS := fakepop3.TLSConfigs(t)
	otherServer, _ := fakepop3.TLSConfigs(t)
	cases := map[string]fakepop3.Config{
		"not advertised": {},
		"no CAPA":        {NoCAPA: true, STLS: serverTLS},
		"STLS -ERR":      {STLS: serverTLS, Hook: fakepop3.Reply("STLS", "-ERR not now\r\n")},
		"injected after +OK": {STLS: serverTLS, Hook: fakepop3.Reply("STLS",
			"+OK go ahead\r\n+OK injected\r\n")},
		"untrusted certificate": {STLS: otherServer},
	}
	for name, cfg := range cases {
		srv := fakepop3.Start(t, cfg)
		_, err := New(srv.Dial(t), Options{StartTLS: clientTLS, PlaintextOK: true})
		wantKind(t, err, fail.Security)
		if fail.HintOf(err) == "" {
			t.Errorf("%s: no hint in %q", name, err)
		}
		for _, v := range []string{"USER", "PASS", "AUTH", "APOP"} {
			if srv.Saw(v) {
				t.Errorf("%s: client sent %s", name, v)
			}
		}
	}
}

func TestPlaintextPasswordRefused(t *testing.T) {
	for _, auth := range []string{"auto", "plain", "login"} {
		srv := fakepop3.Start(t, fakepop3.Config{SASLPlain: auth == "plain"})
		c := connect(t, srv, Options{Auth: auth})
		err := c.Login("user", "secret")
		wantKind(t, err, fail.Security)
		if srv.Saw("USER") || srv.Saw("PASS") || srv.Saw("AUTH") {
			t.Errorf("auth %s: the server saw %s", auth, verbs(srv))
		}
	}
}

func TestImplicitTLSAllowsPassword(t *testing.T) {
	serverTLS, clientTLS := fakepop3.TLSConfigs(t)
	srv := fakepop3.Start(t, fakepop3.Config{TLS: serverTLS})
	conn := tls.Client(srv.Dial(t), clientTLS)
	c, err := New(conn, Options{})
	if err != nil {
		t.Fatalf("New over TLS = %v", err)
	}
	defer c.Close()
	if err := c.Login("user", "secret"); err != nil {
		t.Fatalf("Login over implicit TLS = %v", err)
	}
}

func TestArgumentInjectionRefused(t *testing.T) {
	srv := fakepop3.Start(t, fakepop3.Config{Messages: [][]byte{[]byte("x\r\n")}})
	c := connect(t, srv, Options{PlaintextOK: true})
	for _, user := range []string{"user\r\nDELE 1", "user\nQUIT", "us\x00er", "user\r"} {
		if err := c.Login(user, "secret"); err == nil {
			t.Errorf("Login(%q) = nil, want a refusal", user)
		}
	}
	if err := c.Login("user", "secret\r\nDELE 1"); err == nil {
		t.Error("a password with CRLF was accepted")
	}
	if got := verbs(srv); got != "CAPA" {
		t.Errorf("server saw %q, want only CAPA", got)
	}
}

func TestTraceHidesSecrets(t *testing.T) {
	for _, auth := range []string{"plain", "login", "apop"} {
		var trace bytes.Buffer
		srv := fakepop3.Start(t, fakepop3.Config{SASLPlain: true, APOP: true,
			Messages: [][]byte{[]byte("Subject: s\r\n\r\nbody text\r\n")}})
		c := connect(t, srv, Options{Auth: auth, PlaintextOK: true, Trace: &trace})
		if err := c.Login("user", "secret"); err != nil {
			t.Fatalf("Login(%s) = %v", auth, err)
		}
		if _, err := c.Retr(1, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		out := trace.String()
		for _, secret := range []string{"secret", "c2VjcmV0", "dXNlcgBzZWNyZXQ", "body text"} {
			if strings.Contains(out, secret) {
				t.Errorf("auth %s: trace shows %q:\n%s", auth, secret, out)
			}
		}
		if !strings.Contains(out, "***") || !strings.Contains(out, "C: RETR 1") {
			t.Errorf("auth %s: trace lacks *** or RETR:\n%s", auth, out)
		}
	}
}

func TestUTF8SentWhenOffered(t *testing.T) {
	for _, offered := range []bool{false, true} {
		srv := fakepop3.Start(t, fakepop3.Config{UTF8: offered})
		connect(t, srv, Options{})
		if srv.Saw("UTF8") != offered {
			t.Errorf("UTF8 offered %v, sent %v", offered, srv.Saw("UTF8"))
		}
	}
	// A refusal is not fatal.
	srv := fakepop3.Start(t, fakepop3.Config{UTF8: true, Hook: fakepop3.Reply("UTF8", "-ERR no\r\n")})
	c := connect(t, srv, Options{PlaintextOK: true, Logger: slog.New(slog.DiscardHandler)})
	if err := c.Login("user", "secret"); err != nil {
		t.Fatalf("Login after a refused UTF8 = %v", err)
	}
}
