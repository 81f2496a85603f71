package hostile

import (
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

var longUIDL = strings.Repeat("A", 500)

// pop3Cases are the hostile POP3 servers; docs/security.md cites them by name.
var pop3Cases = []hcase{
	// STLS (RFC 2595) never falls back (fetchmail CVE-2006-5867, CVE-2021-39272).
	{name: "stls-not-advertised", tls: "starttls", pop3: func(w *world, c *fakepop3.Config) { c.STLS = nil },
		runs: []want{refused(fail.Security, "STLS")}, delivered: "-", after: pop3NeverSent("USER", "PASS", "AUTH")},
	{name: "stls-refused", tls: "starttls", pop3: pop3Hook(fakepop3.Reply("STLS", "-ERR not now\r\n")),
		runs: []want{refused(fail.Security, "STLS")}, delivered: "-", after: pop3NeverSent("USER", "PASS", "AUTH")},
	{name: "stls-plaintext-injected", tls: "starttls",
		pop3: pop3Hook(fakepop3.Reply("STLS", "+OK begin TLS\r\n+OK injected\r\n")),
		runs: []want{refused(fail.Security, "unexpected bytes")}, delivered: "-", after: pop3NeverSent("USER", "PASS")},
	{name: "stls-stall", tls: "starttls", extra: []string{stall}, pop3: pop3Hook(fakepop3.StallOn("STLS")),
		runs: []want{refused(fail.Temporary, "no data")}, delivered: "-"},
	{name: "greeting-stall", extra: []string{stall},
		pop3: func(w *world, c *fakepop3.Config) {
			c.OnConnect = func(s *fakepop3.Session) fakepop3.Action { s.Write("+OK fa"); s.Stall(); return fakepop3.Hangup }
		}, runs: []want{refused(fail.Temporary, "no data")}, delivered: "-"},
	{name: "greeting-err", pop3: func(w *world, c *fakepop3.Config) { c.Greeting = "-ERR [SYS/TEMP] too busy" },
		runs: []want{refused(fail.Temporary, "too busy")}, delivered: "-"},
	{name: "greeting-without-end", pop3: func(w *world, c *fakepop3.Config) { c.Greeting = "+OK " + strings.Repeat("x", 1<<20) },
		runs: []want{refused(fail.Protocol, "longer than")}, delivered: "-"},

	// Listings (fetchmail CVE-2005-2335 over-long UIDL, CVE-2002-0146 trusted counts).
	{name: "uidl-overlong", pop3: func(w *world, c *fakepop3.Config) { c.UIDLs = []string{longUIDL, "uid-2", "uid-3"} },
		delivered: "uid-2 uid-3", remaining: longUIDL, warn: []string{"unique-id is not"}},
	{name: "uidl-duplicated", pop3: func(w *world, c *fakepop3.Config) { c.UIDLs = []string{"dup", "dup", "uid-3"} },
		delivered: "dup uid-3", remaining: "dup", warn: []string{"repeats another"}},
	{name: "uidl-control-chars", pop3: func(w *world, c *fakepop3.Config) { c.UIDLs = []string{"uid\x01x", "uid-2", "uid-3"} },
		delivered: "uid-2 uid-3", remaining: "uid\x01x", warn: []string{"unique-id is not"}},
	{name: "uidl-line-without-end", pop3: pop3Hook(fakepop3.Reply("UIDL", "+OK\r\n1 "+strings.Repeat("B", 1<<20)+"\r\n.\r\n")),
		runs: []want{refused(fail.Protocol, "longer than")}, delivered: "-"},
	{name: "uidl-unterminated-then-cut", pop3: pop3Hook(fakepop3.ReplyAndHangup("UIDL", "+OK\r\n1 uid-1\r\n")),
		runs: []want{refused(fail.Temporary)}, delivered: "-"},
	{name: "list-size-huge", pop3: pop3Hook(fakepop3.Reply("LIST", "+OK\r\n1 999999999999999999\r\n2 10\r\n3 10\r\n.\r\n")),
		delivered: "uid-1 uid-2 uid-3", remaining: "-"},
	{name: "list-malformed", pop3: pop3Hook(fakepop3.Reply("LIST", "+OK\r\n1 abc\r\n.\r\n")),
		runs: []want{refused(fail.Protocol, "bad LIST line")}, delivered: "-"},
	{name: "list-count-beyond-messages", pop3: pop3Hook(fakepop3.Reply("UIDL", "+OK\r\n1 uid-1\r\n2 uid-2\r\n3 uid-3\r\n99999 ghost\r\n.\r\n")),
		runs: []want{refused(fail.Temporary, "ghost")}, delivered: "uid-1 uid-2 uid-3", remaining: "-"},
	{name: "messages-without-header",
		msgs:      [][]byte{[]byte("no header at all\r\n"), {}, []byte("no final newline")},
		delivered: "uid-1 uid-2 uid-3", remaining: "-"},

	// Cuts, stalls, refusals, claimed success.
	{name: "retr-cut-midway", runs: []want{refused(fail.Temporary), ok()},
		msgs: [][]byte{msg(1, 3000), msg(2, 3000), msg(3, 3000)},
		pop3: pop3Hook(pop3Session(1, fakepop3.CutDuring("RETR 2", 1500))), delivered: "uid-1 uid-2 uid-3", remaining: "-"},
	{name: "retr-stall-midway", extra: []string{stall}, runs: []want{refused(fail.Temporary, "no data"), ok()},
		pop3: pop3Hook(pop3Session(1, func(s *fakepop3.Session, c fakepop3.Command) fakepop3.Action {
			if c.Line != "RETR 2" {
				return fakepop3.Continue
			}
			w := string(s.Wire(2))
			s.Write("+OK\r\n" + w[:len(w)/2])
			s.Stall()
			return fakepop3.Hangup
		})), delivered: "uid-1 uid-2 uid-3", remaining: "-"},
	{name: "retr-refused", runs: []want{refused(fail.Temporary, "locked"), ok()},
		pop3:      pop3Hook(pop3Session(1, fakepop3.Reply("RETR 2", "-ERR [SYS/TEMP] locked\r\n"))),
		delivered: "uid-1 uid-2 uid-3", remaining: "-"},
	{name: "dele-stall", extra: []string{stall}, runs: []want{refused(fail.Temporary, "no data"), ok()},
		pop3:      pop3Hook(pop3Session(1, fakepop3.StallOn("DELE 2"))),
		delivered: "uid-1 uid-2 uid-3", remaining: "-"},
	{name: "quit-cut", runs: []want{refused(fail.Temporary, "QUIT"), ok()},
		pop3:      pop3Hook(pop3Session(1, fakepop3.ReplyAndHangup("QUIT", ""))),
		delivered: "uid-1 uid-2 uid-3", remaining: "-"},
	{name: "quit-claimed-not-done", runs: []want{ok(), ok()},
		pop3:      pop3Hook(fakepop3.ReplyAndHangup("QUIT", "+OK bye\r\n")),
		delivered: "uid-1 uid-2 uid-3", remaining: "uid-1 uid-2 uid-3"},
	{name: "dele-claimed-not-done", runs: []want{ok(), ok()},
		pop3:      pop3Hook(fakepop3.Reply("DELE", "+OK marked (not really)\r\n")),
		delivered: "uid-1 uid-2 uid-3", remaining: "uid-1 uid-2 uid-3"},
	{name: "login-refused", pop3: pop3Hook(fakepop3.Reply("PASS", "-ERR [AUTH] no\r\n")),
		runs: []want{refused(fail.Auth)}, delivered: "-"},
}

func TestPOP3(t *testing.T) {
	for _, c := range pop3Cases {
		c.proto = "pop3"
		runCase(t, c)
	}
}

// TestPOP3CutAtEveryCommand drops the connection instead of answering each command
// the client sends, with implicit TLS and with STLS: the run fails, nothing is
// deleted without delivery (DELE only counts after QUIT), and the next run completes
// the work.
func TestPOP3CutAtEveryCommand(t *testing.T) {
	for _, mode := range []string{"tls", "starttls"} {
		for _, line := range []string{"STLS", "CAPA", "USER", "PASS", "UIDL", "LIST", "RETR 1", "RETR 3", "DELE 1", "QUIT"} {
			if line == "STLS" && mode != "starttls" {
				continue
			}
			match := line
			runCase(t, hcase{name: mode + "-cut-at-" + strings.ReplaceAll(line, " ", "-"), proto: "pop3", tls: mode,
				pop3: pop3Hook(pop3Session(1, func(s *fakepop3.Session, c fakepop3.Command) fakepop3.Action {
					if c.Verb == match || c.Line == match {
						return fakepop3.Hangup
					}
					return fakepop3.Continue
				})),
				runs: []want{refused(fail.Temporary), ok()}, delivered: "uid-1 uid-2 uid-3", remaining: "-"})
		}
	}
}

func pop3Hook(h fakepop3.Hook) func(*world, *fakepop3.Config) {
	return func(w *world, c *fakepop3.Config) { c.Hook = h }
}

// pop3Session applies h in session n only.
func pop3Session(n int, h fakepop3.Hook) fakepop3.Hook {
	return func(s *fakepop3.Session, c fakepop3.Command) fakepop3.Action {
		if s.ID() != n {
			return fakepop3.Continue
		}
		return h(s, c)
	}
}

func pop3NeverSent(verbs ...string) func(*testing.T, *world) {
	return func(t *testing.T, w *world) {
		for _, v := range verbs {
			if w.pop3.Saw(v) {
				t.Errorf("the client sent %s", v)
			}
		}
	}
}
