package hostile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakeimap"
)

// stall is the account timeout of cases where the server stops answering: short, so
// the suite stays fast, and still far above any loopback delay.
const stall = `timeout = "2s"`

// imapCases are the hostile IMAP servers; docs/security.md cites them by name.
var imapCases = []hcase{
	// STARTTLS and PREAUTH (fetchmail CVE-2021-39272, CVE-2011-1947; isync 2014 fix).
	{name: "preauth-instead-of-starttls", tls: "starttls",
		imap: greeting("* PREAUTH welcome, no need to log in"),
		runs: []want{refused(fail.Security, "PREAUTH")}, delivered: "-", remaining: "1 2 3",
		after: neverSent("LOGIN", "SELECT", "EXAMINE", "UID FETCH")},
	{name: "preauth-on-plaintext", tls: "none",
		imap: greeting("* PREAUTH welcome"),
		runs: []want{refused(fail.Security, "PREAUTH")}, delivered: "-"},
	{name: "starttls-not-advertised", tls: "starttls",
		imap: func(w *world, c *fakeimap.Config) { c.StartTLS = nil },
		runs: []want{refused(fail.Security, "STARTTLS")}, delivered: "-", after: neverSent("LOGIN")},
	{name: "starttls-refused", tls: "starttls",
		imap: hook(fakeimap.Reply("STARTTLS", "%TAG% NO [UNAVAILABLE] not today\r\n")),
		runs: []want{refused(fail.Security, "STARTTLS")}, delivered: "-", after: neverSent("LOGIN")},
	{name: "starttls-plaintext-injected", tls: "starttls",
		imap: hook(injectAfterStartTLS), runs: []want{refused(fail.Security, "STARTTLS")}, delivered: "-",
		after: neverSent("LOGIN")},
	{name: "starttls-stall", tls: "starttls", extra: []string{stall},
		imap: hook(fakeimap.StallOn("STARTTLS")), runs: []want{refused(fail.Temporary, "no data")}, delivered: "-"},
	{name: "greeting-stall", extra: []string{stall},
		imap: onConnect(func(s *fakeimap.Session) fakeimap.Action { s.Write("* OK fake"); s.Stall(); return fakeimap.Hangup }),
		runs: []want{refused(fail.Temporary, "no data")}, delivered: "-"},
	{name: "greeting-cut",
		imap: onConnect(func(s *fakeimap.Session) fakeimap.Action { s.Write("* OK fa"); return fakeimap.Hangup }),
		runs: []want{refused(fail.Temporary)}, delivered: "-"},
	{name: "greeting-bye", imap: greeting("* BYE too busy"), runs: []want{refused(fail.Temporary, "BYE")}, delivered: "-"},

	// Literals (isync CVE-2021-3657), lines, literal8.
	{name: "literal-larger-than-sent", runs: []want{refused(fail.Temporary), ok()},
		imap: render(2, 1, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Writef("* %d FETCH (UID %d BODY[] {%d}\r\n%s", seq, m.UID, len(m.Data)+1000, m.Data)
			s.CutAfter(0)
		}), delivered: "1 2 3", remaining: "-"},
	{name: "literal-1GiB-claimed-64MiB-sent", runs: []want{refused(fail.Temporary), ok()},
		imap: render(1, 1, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Writef("* %d FETCH (UID %d BODY[] {%d}\r\n", seq, m.UID, 1<<30)
			s.WriteRepeat([]byte(strings.Repeat("0123456789abcde\n", 4096)), 64<<20)
			s.CutAfter(0)
		}), delivered: "1 2 3", remaining: "-"},
	{name: "literal-2GiB-claimed-then-stall", extra: []string{stall}, runs: []want{refused(fail.Temporary, "no data"), ok()},
		imap: render(3, 1, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Writef("* %d FETCH (UID %d BODY[] {%d}\r\n", seq, m.UID, 2<<30)
			s.WriteRepeat([]byte(strings.Repeat("x", 1000)+"\n"), 1<<20)
			s.Stall()
		}), delivered: "1 2 3", remaining: "-"},
	{name: "literal-size-absurd", runs: []want{refused(fail.Protocol, "literal")},
		imap: render(1, 1, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Writef("* %d FETCH (UID %d BODY[] {99999999999999999999}\r\n%s)\r\n", seq, m.UID, m.Data)
		}), delivered: "-", remaining: "1 2 3"},
	{name: "literal-huge-outside-body", runs: []want{refused(fail.Protocol, "literal")},
		imap: hook(fakeimap.OnSession(1, func(s *fakeimap.Session, c *fakeimap.Command) fakeimap.Action {
			if c.Verb != "SELECT" {
				return fakeimap.Continue
			}
			s.Writef("* LIST () \"/\" {%d}\r\n", 1<<30)
			s.WriteRepeat([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"), 256<<20)
			return fakeimap.Hangup
		})), delivered: "-"},
	{name: "line-without-end", runs: []want{refused(fail.Protocol, "longer than")},
		imap: hook(func(s *fakeimap.Session, c *fakeimap.Command) fakeimap.Action {
			if c.Verb != "SELECT" {
				return fakeimap.Continue
			}
			s.Write("* OK [ALERT] ")
			s.WriteRepeat([]byte(strings.Repeat("A", 4096)), 256<<20)
			return fakeimap.Hangup
		}), delivered: "-"},
	{name: "literal8-body", // Cyrus answers BODY[] with ~{n} (RFC 3516 literal8)
		imap: render(0, 0, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Writef("* %d FETCH (UID %d BODY[] ~{%d}\r\n%s)\r\n", seq, m.UID, len(m.Data), m.Data)
		}), delivered: "1 2 3", remaining: "-"},
	{name: "literal-stall-midway", extra: []string{stall}, runs: []want{refused(fail.Temporary, "no data"), ok()},
		imap: render(2, 1, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Writef("* %d FETCH (UID %d BODY[] {%d}\r\n%s", seq, m.UID, len(m.Data), m.Data[:len(m.Data)/2])
			s.Stall()
		}), delivered: "1 2 3", remaining: "-"},
	{name: "messages-without-header",
		msgs:      [][]byte{[]byte("no header at all, just a line\r\n"), {}, []byte("\r\n\r\nbody after an empty header\r\n")},
		delivered: "1 2 3", remaining: "-"},

	// The connection cut at every phase.
	{name: "cut-after-login", runs: []want{refused(fail.Temporary), ok()},
		imap:      hook(fakeimap.OnSession(1, fakeimap.ReplyAndHangup("SELECT", ""))),
		delivered: "1 2 3", remaining: "-"},
	{name: "cut-mid-listing", runs: []want{refused(fail.Temporary), ok()},
		imap: hook(fakeimap.OnSession(1, func(s *fakeimap.Session, c *fakeimap.Command) fakeimap.Action {
			if c.Verb == "UID FETCH" && strings.Contains(c.Line, "RFC822.SIZE") {
				s.CutAfter(40)
			}
			return fakeimap.Continue
		})), delivered: "1 2 3", remaining: "-"},
	{name: "cut-mid-body", runs: []want{refused(fail.Temporary), ok()},
		msgs: [][]byte{msg(1, 2000), msg(2, 2000), msg(3, 2000)},
		imap: hook(fakeimap.OnSession(1, func(s *fakeimap.Session, c *fakeimap.Command) fakeimap.Action {
			if c.Verb == "UID FETCH" && strings.Contains(c.Line, "BODY") {
				s.CutAfter(3000)
			}
			return fakeimap.Continue
		})), delivered: "1 2 3", remaining: "-"},
	{name: "cut-during-store", runs: []want{refused(fail.Temporary), ok()},
		imap:      hook(fakeimap.OnSession(1, fakeimap.ReplyAndHangup("UID STORE", ""))),
		delivered: "1 2 3", remaining: "-"},
	{name: "cut-during-expunge", runs: []want{refused(fail.Temporary), ok()},
		imap:      hook(fakeimap.OnSession(1, fakeimap.ReplyAndHangup("UID EXPUNGE", ""))),
		delivered: "1 2 3", remaining: "-"},
	{name: "stall-during-expunge", extra: []string{stall}, runs: []want{refused(fail.Temporary, "no data"), ok()},
		imap:      hook(fakeimap.OnSession(1, fakeimap.StallOn("UID EXPUNGE"))),
		delivered: "1 2 3", remaining: "-"},

	// UIDs and UIDVALIDITY.
	{name: "uid-out-of-range-in-listing", warn: []string{"UID 4000000000"},
		imap: listingExtra("* 9 FETCH (UID 4000000000 RFC822.SIZE 10)\r\n"), delivered: "1 2 3", remaining: "-"},
	{name: "uid-zero-in-listing",
		imap: listingExtra("* 9 FETCH (UID 0 RFC822.SIZE 10)\r\n"), delivered: "1 2 3", remaining: "-"},
	{name: "uid-duplicated",
		imap: render(2, 0, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Render(seq, m, fakeimap.Items{UID: true, Body: true})
			s.Writef("* %d FETCH (UID %d BODY[] {11}\r\nimpostor!\r\n)\r\n", seq, m.UID)
		}), delivered: "1 2 3", remaining: "-"},
	{name: "uids-going-backwards", imap: func(w *world, c *fakeimap.Config) { c.UIDs = []uint32{30, 20, 10} },
		delivered: "10 20 30", remaining: "-"},
	{name: "uidvalidity-flapping", extra: []string{"keep = true"}, runs: []want{ok(), ok(), ok()},
		imap: func(w *world, c *fakeimap.Config) {
			c.Hook = func(s *fakeimap.Session, cmd *fakeimap.Command) fakeimap.Action {
				if cmd.Verb == "LOGOUT" {
					w.imap.SetUIDValidity("INBOX", uint32(s.ID()+1)) // next session sees another
				}
				return fakeimap.Continue
			}
		}, delivered: "1 2 3", remaining: "1 2 3", warn: []string{"UIDVALIDITY changed"}},
	{name: "fetch-data-for-uid-not-asked",
		imap: render(0, 0, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Write("* 77 FETCH (UID 77 BODY[] {20}\r\nFrom: nobody\r\n\r\nhi\r\n)\r\n")
			s.Render(seq, m, fakeimap.Items{UID: true, Body: true})
		}), delivered: "1 2 3", remaining: "-"},
	{name: "uid-after-body", warn: []string{"did not return message UID 2"},
		imap: render(2, 0, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Writef("* %d FETCH (BODY[] {%d}\r\n%s UID %d)\r\n", seq, len(m.Data), m.Data, m.UID)
		}), delivered: "1 3", remaining: "2"},
	{name: "uid-after-body-everywhere", warn: []string{"did not return message UID 1"},
		imap: render(0, 0, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Writef("* %d FETCH (BODY[] {%d}\r\n%s UID %d)\r\n", seq, len(m.Data), m.Data, m.UID)
		}), delivered: "-", remaining: "1 2 3"},
	{name: "listing-more-than-exists", runs: []want{refused(fail.Protocol, "more messages")},
		imap: listingExtra(manyFetches(3000)), delivered: "-"},
	{name: "exists-count-absurd", imap: hook(fakeimap.Before("SELECT", "* 4294967295 EXISTS\r\n")),
		delivered: "1 2 3", remaining: "-"},

	// Untagged junk (go-imap closes the connection on a response it does not know).
	{name: "untagged-unknown-response", runs: []want{refused(fail.Protocol), ok()},
		imap:      hook(fakeimap.OnSession(1, fakeimap.Before("SELECT", "* XYZZY plugh\r\n"))),
		delivered: "1 2 3", remaining: "-"},
	{name: "fetch-attribute-unknown", runs: []want{refused(fail.Protocol), ok()},
		imap:      listingExtra1("* 1 FETCH (UID 1 X-GM-LABELS (\\Inbox) RFC822.SIZE 10)\r\n"),
		delivered: "1 2 3", remaining: "-"},
	{name: "untagged-harmless-noise",
		imap: hook(fakeimap.Before("UID FETCH", "* OK [ALERT] maintenance tonight\r\n* 3 RECENT\r\n* FLAGS (\\Seen $Junk)\r\n"+
			"* CAPABILITY IMAP4rev1 UIDPLUS\r\n* 3 EXISTS\r\n")), delivered: "1 2 3", remaining: "-"},
	{name: "mailbox-name-invalid-mutf7", runs: []want{refused(fail.Protocol), ok()},
		imap:      hook(fakeimap.OnSession(1, fakeimap.Before("SELECT", "* LIST () \"/\" \"&Jjo-&\"\r\n"))),
		delivered: "1 2 3", remaining: "-"},

	// Claimed success for commands not run, refusals.
	{name: "expunge-claimed-not-done", runs: []want{ok(), ok()}, imap: hook(fakeimap.Pretend("UID EXPUNGE")),
		delivered: "1 2 3", remaining: "1 2 3"},
	{name: "store-claimed-not-done", runs: []want{ok(), ok()}, imap: hook(fakeimap.Pretend("UID STORE")),
		delivered: "1 2 3", remaining: "1 2 3"},
	{name: "no-uidplus-no-delete", imap: func(w *world, c *fakeimap.Config) { c.Caps = []string{"IMAP4rev1"} },
		delivered: "1 2 3", remaining: "1 2 3", warn: []string{"UIDPLUS"}},
	{name: "select-refused", imap: hook(fakeimap.Reply("SELECT", "%TAG% NO [NONEXISTENT] what folder?\r\n")),
		runs: []want{refused(fail.Config, "INBOX")}, delivered: "-"},
	{name: "login-refused", imap: hook(fakeimap.Reply("LOGIN", "%TAG% NO [AUTHENTICATIONFAILED] nope\r\n")),
		runs: []want{refused(fail.Auth)}, delivered: "-"},
	{name: "rfc822-size-lies", extra: []string{`limit = "1KB"`}, // says 100 bytes, sends 20000
		msgs: [][]byte{msg(1, 100), msg(2, 20000), msg(3, 100)}, warn: []string{"UID 2"},
		imap: func(w *world, c *fakeimap.Config) {
			c.Render = func(s *fakeimap.Session, seq int, m *fakeimap.Message, it fakeimap.Items) {
				if it.Size && m.UID == 2 {
					s.Writef("* %d FETCH (UID 2 RFC822.SIZE 100)\r\n", seq)
					return
				}
				s.Render(seq, m, it)
			}
		}, delivered: "1 3", remaining: "2"},
}

func TestIMAP(t *testing.T) {
	for _, c := range imapCases {
		runCase(t, c)
	}
}

// TestIMAPCutAtEveryCommand drops the connection instead of answering each command
// the client sends, in plaintext, TLS and STARTTLS sessions: the run fails (or, at
// LOGOUT, has already finished), nothing is lost or delivered twice, and the next run
// completes the work.
func TestIMAPCutAtEveryCommand(t *testing.T) {
	for _, mode := range []string{"none", "tls", "starttls"} {
		for _, verb := range []string{"STARTTLS", "CAPABILITY", "LOGIN", "SELECT", "UID FETCH", "UID STORE", "UID EXPUNGE", "LOGOUT"} {
			if verb == "STARTTLS" && mode != "starttls" {
				continue
			}
			first := refused(fail.Temporary)
			if verb == "LOGOUT" {
				first = ok()
			}
			runCase(t, hcase{name: mode + "-cut-at-" + strings.ReplaceAll(verb, " ", "-"), tls: mode,
				imap: hook(fakeimap.OnSession(1, fakeimap.ReplyAndHangup(verb, ""))),
				runs: []want{first, ok()}, delivered: "1 2 3", remaining: "-"})
		}
	}
}

// greeting replaces the server's greeting.
func greeting(g string) func(*world, *fakeimap.Config) {
	return func(w *world, c *fakeimap.Config) { c.Greeting = g }
}

func hook(h fakeimap.Hook) func(*world, *fakeimap.Config) {
	return func(w *world, c *fakeimap.Config) { c.Hook = h }
}

func onConnect(f func(*fakeimap.Session) fakeimap.Action) func(*world, *fakeimap.Config) {
	return func(w *world, c *fakeimap.Config) { c.OnConnect = f }
}

// render makes the server write the body of message uid (0: every message) with f in
// session sess (0: every session); everything else is rendered normally.
func render(uid uint32, sess int, f func(s *fakeimap.Session, seq int, m *fakeimap.Message)) func(*world, *fakeimap.Config) {
	return func(w *world, c *fakeimap.Config) {
		c.Render = func(s *fakeimap.Session, seq int, m *fakeimap.Message, it fakeimap.Items) {
			if it.Body && (uid == 0 || m.UID == uid) && (sess == 0 || s.ID() == sess) {
				f(s, seq, m)
				return
			}
			s.Render(seq, m, it)
		}
	}
}

// injectAfterStartTLS answers STARTTLS with OK and a forged capability response in the
// same plaintext packet (the "NO STARTTLS" response injection).
func injectAfterStartTLS(s *fakeimap.Session, c *fakeimap.Command) fakeimap.Action {
	if c.Verb != "STARTTLS" {
		return fakeimap.Continue
	}
	s.Write(c.Tag + " OK begin TLS\r\n* CAPABILITY IMAP4rev1 UIDPLUS AUTH=PLAIN\r\n")
	s.StartTLS()
	return fakeimap.Handled
}

// listingExtra adds raw responses to every listing (UID FETCH ... RFC822.SIZE).
func listingExtra(raw string) func(*world, *fakeimap.Config) {
	return hook(func(s *fakeimap.Session, c *fakeimap.Command) fakeimap.Action {
		if c.Verb == "UID FETCH" && strings.Contains(c.Line, "RFC822.SIZE") {
			s.Write(raw)
		}
		return fakeimap.Continue
	})
}

// listingExtra1 is listingExtra in the first session only.
func listingExtra1(raw string) func(*world, *fakeimap.Config) {
	return hook(fakeimap.OnSession(1, func(s *fakeimap.Session, c *fakeimap.Command) fakeimap.Action {
		if c.Verb == "UID FETCH" && strings.Contains(c.Line, "RFC822.SIZE") {
			s.Write(raw)
		}
		return fakeimap.Continue
	}))
}

func manyFetches(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "* %d FETCH (UID %d RFC822.SIZE 10)\r\n", i, 1000+i)
	}
	return b.String()
}

// neverSent checks that the client never sent these commands.
func neverSent(verbs ...string) func(*testing.T, *world) {
	return func(t *testing.T, w *world) {
		for _, v := range verbs {
			if w.imap.Saw(v) {
				t.Errorf("the client sent %s", v)
			}
		}
	}
}

// msg returns message n of about size bytes.
func msg(n, size int) []byte {
	head := fmt.Sprintf("Message-ID: <%d@hostile.test>\r\nSubject: message %d\r\n\r\n", n, n)
	body := strings.Repeat(fmt.Sprintf("line of message %d\r\n", n), max(size-len(head), 0)/20+1)
	return []byte(head + body)
}
