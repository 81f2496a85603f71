package pop3

import (
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

func TestLoginMechanisms(t *testing.T) {
	cases := []struct {
		name, auth string
		cfg        fakepop3.Config
		want       string // the commands the server saw
	}{
		{"auto picks PLAIN", "auto", fakepop3.Config{SASLPlain: true}, "CAPA AUTH CAPA"},
		{"auto falls back to USER", "", fakepop3.Config{}, "CAPA USER PASS CAPA"},
		{"auto without CAPA", "auto", fakepop3.Config{NoCAPA: true}, "CAPA USER PASS"},
		{"login", "login", fakepop3.Config{SASLPlain: true}, "CAPA USER PASS CAPA"},
		{"apop", "apop", fakepop3.Config{APOP: true}, "CAPA APOP CAPA"},
	}
	for _, tc := range cases {
		srv := fakepop3.Start(t, tc.cfg)
		c := connect(t, srv, Options{Auth: tc.auth, PlaintextOK: true})
		if err := c.Login("user", "secret"); err != nil {
			t.Errorf("%s: Login() = %v", tc.name, err)
			continue
		}
		if got := verbs(srv); got != tc.want {
			t.Errorf("%s: commands %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLoginLongPlainUsesContinuation(t *testing.T) {
	long := strings.Repeat("p", 300)
	srv := fakepop3.Start(t, fakepop3.Config{SASLPlain: true, User: "user", Password: long})
	c := connect(t, srv, Options{Auth: "plain", PlaintextOK: true})
	if err := c.Login("user", long); err != nil {
		t.Fatalf("Login() = %v", err)
	}
	for _, cmd := range srv.Commands() {
		if cmd.Verb == "AUTH" && cmd.Arg != "PLAIN" {
			t.Errorf("AUTH line %d bytes long with an initial response; RFC 5034 caps it at 255", len(cmd.Line)+2)
		}
	}
}

func TestLoginFailures(t *testing.T) {
	cases := []struct {
		name string
		cfg  fakepop3.Config
		auth string
		kind fail.Kind
		text string
	}{
		{"wrong password", fakepop3.Config{}, "login", fail.Auth, "invalid user name or password"},
		{"wrong password PLAIN", fakepop3.Config{SASLPlain: true}, "plain", fail.Auth, "invalid"},
		{"APOP without timestamp", fakepop3.Config{}, "apop", fail.Auth, "timestamp"},
		{"PLAIN not offered", fakepop3.Config{}, "plain", fail.Auth, "does not offer AUTH PLAIN"},
		{"in use", fakepop3.Config{Hook: fakepop3.Reply("PASS", "-ERR [IN-USE] mailbox locked\r\n")},
			"login", fail.Temporary, "mailbox locked"},
		{"login delay", fakepop3.Config{Hook: fakepop3.Reply("PASS", "-ERR [LOGIN-DELAY] wait\r\n")},
			"login", fail.Temporary, "LOGIN-DELAY"},
		{"sys/temp", fakepop3.Config{SASLPlain: true, Hook: fakepop3.Reply("AUTH", "-ERR [SYS/TEMP] db down\r\n")},
			"plain", fail.Temporary, "db down"},
		{"unexpected challenge", fakepop3.Config{SASLPlain: true, Hook: fakepop3.Chain(
			fakepop3.Reply("AUTH", "+ Zm9v\r\n"), fakepop3.Reply("*", "-ERR cancelled\r\n"))},
			"plain", fail.Auth, "unexpected"},
		{"unknown mechanism", fakepop3.Config{}, "gssapi", fail.Config, "unknown auth"},
	}
	for _, tc := range cases {
		srv := fakepop3.Start(t, tc.cfg)
		c := connect(t, srv, Options{Auth: tc.auth, PlaintextOK: true})
		err := c.Login("user", "wrong-pass")
		if err == nil {
			t.Errorf("%s: Login() = nil", tc.name)
			continue
		}
		if fail.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: Login() = %q (%v), want kind %v mentioning %q", tc.name, err, fail.KindOf(err), tc.kind, tc.text)
		}
		if strings.Contains(err.Error(), "wrong-pass") {
			t.Errorf("%s: error shows the password: %q", tc.name, err)
		}
	}
}
