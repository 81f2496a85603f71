package pop3

import (
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

func TestParseStatus(t *testing.T) {
	cases := []struct {
		line       string
		ok, bad    bool
		code, text string
	}{
		{line: "+OK", ok: true},
		{line: "+OK 2 320", ok: true, text: "2 320"},
		{line: "-ERR", text: ""},
		{line: "-ERR no such message", text: "no such message"},
		{line: "-ERR [SYS/TEMP] try later", code: "SYS/TEMP", text: "try later"},
		{line: "-ERR [IN-USE]", code: "IN-USE"},
		{line: "-ERR [not a code] x", text: "[not a code] x"},
		{line: "-ERR [] x", text: "[] x"},
		{line: "-ERR bad\x1b[31m\x00", text: "bad?[31m?"},
		{line: "", bad: true},
		{line: "+OKAY", bad: true},
		{line: "+ ", bad: true},
		{line: "OK", bad: true},
		{line: "-ERRx", bad: true},
	}
	for _, c := range cases {
		ok, rest, err := parseStatus([]byte(c.line))
		if (err != nil) != c.bad || ok != c.ok {
			t.Errorf("parseStatus(%q) = %v, %v; want ok %v, error %v", c.line, ok, err, c.ok, c.bad)
			continue
		}
		if c.bad || c.ok {
			if c.ok && string(rest) != c.text {
				t.Errorf("parseStatus(%q) text %q, want %q", c.line, rest, c.text)
			}
			continue
		}
		e := newError("X", rest)
		if e.Code != c.code || e.Text != c.text {
			t.Errorf("parseStatus(%q) = code %q text %q; want %q %q", c.line, e.Code, e.Text, c.code, c.text)
		}
	}
}

func TestCleanBoundsText(t *testing.T) {
	if got := clean([]byte(strings.Repeat("x", 10_000))); len(got) != maxText {
		t.Errorf("clean kept %d bytes, want %d", len(got), maxText)
	}
	if got := clean([]byte("caf\xc3\xa9 \xff")); got != "café ?" {
		t.Errorf("clean = %q", got)
	}
}

// TestMalformedReplies: a hostile or broken server gets errors, never a panic, and
// nothing is deleted.
func TestMalformedReplies(t *testing.T) {
	huge := strings.Repeat("A", 9000)
	cases := map[string]fakepop3.Hook{
		"STAT bare +OK":     fakepop3.Reply("STAT", "+OK\r\n"),
		"STAT words":        fakepop3.Reply("STAT", "+OK many lots\r\n"),
		"STAT negative":     fakepop3.Reply("STAT", "+OK -1 -5\r\n"),
		"STAT overflow":     fakepop3.Reply("STAT", "+OK 99999999999999999999999 1\r\n"),
		"STAT huge count":   fakepop3.Reply("STAT", "+OK 4000000000 1\r\n"),
		"STAT garbage":      fakepop3.Reply("STAT", "hello\r\n"),
		"STAT long line":    fakepop3.Reply("STAT", "+OK "+huge+"\r\n"),
		"STAT no CRLF, EOF": fakepop3.ReplyAndHangup("STAT", "+OK 1 2"),
	}
	for name, hook := range cases {
		_, src := login(t, fakepop3.Config{Hook: hook}, Options{})
		if _, _, err := src.c.Stat(); err == nil {
			t.Errorf("%s: Stat() = nil error", name)
		} else if k := fail.KindOf(err); k != fail.Protocol && k != fail.Temporary {
			t.Errorf("%s: Stat() error kind %v: %v", name, k, err)
		}
	}
}

func TestMalformedListings(t *testing.T) {
	msgs := [][]byte{[]byte("a\r\n"), []byte("b\r\n")}
	long := strings.Repeat("U", 9000)
	cases := map[string]fakepop3.Hook{
		"UIDL one field":       fakepop3.Reply("UIDL", "+OK\r\n1\r\n.\r\n"),
		"UIDL bad number":      fakepop3.Reply("UIDL", "+OK\r\nx abc\r\n.\r\n"),
		"UIDL number 0":        fakepop3.Reply("UIDL", "+OK\r\n0 abc\r\n.\r\n"),
		"UIDL repeated number": fakepop3.Reply("UIDL", "+OK\r\n1 a\r\n1 b\r\n.\r\n"),
		"UIDL over-long line":  fakepop3.Reply("UIDL", "+OK\r\n1 "+long+"\r\n.\r\n"),
		"UIDL no terminator":   fakepop3.ReplyAndHangup("UIDL", "+OK\r\n1 a\r\n"),
		"LIST bad size":        fakepop3.Reply("LIST", "+OK\r\n1 big\r\n.\r\n"),
		"LIST huge number":     fakepop3.Reply("LIST", "+OK\r\n99999999 1\r\n.\r\n"),
		"LIST garbage status":  fakepop3.Reply("LIST", "* 1 FETCH\r\n"),
	}
	for name, hook := range cases {
		srv, src := login(t, fakepop3.Config{Messages: msgs, Hook: hook}, Options{})
		refs, err := src.List(t.Context(), nil)
		if err == nil {
			t.Errorf("%s: List() = %v, nil error", name, refs)
			continue
		}
		if k := fail.KindOf(err); k != fail.Protocol && k != fail.Temporary {
			t.Errorf("%s: List() error kind %v: %v", name, k, err)
		}
		src.Close()
		if srv.Saw("DELE") || srv.Saw("QUIT") {
			t.Errorf("%s: server saw %s", name, verbs(srv))
		}
	}
}

// FuzzParseStatus: any line parses or fails without panicking, and a parsed -ERR
// gives printable text.
func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"+OK", "+OK 2 320", "-ERR [SYS/TEMP] x", "-ERR [IN-USE", "-ERR [a]]",
		"+ Zm9v", "-ERR \xff\x00", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ok, rest, err := parseStatus(line)
		if err != nil || ok {
			return
		}
		e := newError("X", rest)
		for _, r := range e.Code + e.Text {
			if r < ' ' || r == 0x7f {
				t.Fatalf("unprintable %q in %q", r, e.Error())
			}
		}
		_ = classify(e, fail.Protocol).Error()
	})
}

// FuzzMultiLine feeds arbitrary server bytes to the listing commands: errors are
// fine, panics and runaway memory are not.
func FuzzMultiLine(f *testing.F) {
	for _, s := range []string{"+OK\r\n1 abc\r\n2 def\r\n.\r\n", "+OK\r\n1 100\r\n.\r\n",
		"+OK\r\n..x\r\n.\r\n", "-ERR no\r\n", "+OK\r\n1\r\n", "+OK\r\n1 a\n.\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, run := range []func(c *Client) error{
			func(c *Client) error { _, err := c.UIDL(); return err },
			func(c *Client) error { _, err := c.List(); return err },
			func(c *Client) error { return c.capa() },
			func(c *Client) error { _, _, err := c.Stat(); return err },
		} {
			c := rawClient(data, 64)
			if err := run(c); err != nil && fail.KindOf(err) == fail.Internal {
				t.Fatalf("unclassified error %v", err)
			}
		}
	})
}

func TestGreetings(t *testing.T) {
	cases := []struct {
		greeting string
		kind     fail.Kind // fail.Internal: no error
	}{
		{"+OK", fail.Internal}, // popa3d
		{"+OK ready <1.2@host>", fail.Internal},
		{"-ERR [IN-USE] try later", fail.Temporary},
		{"-ERR [SYS/PERM] gone", fail.Protocol},
		{"* OK IMAP4rev1", fail.Protocol},
		{"+OK " + strings.Repeat("g", 10_000), fail.Protocol},
	}
	for _, tc := range cases {
		srv := fakepop3.Start(t, fakepop3.Config{Greeting: tc.greeting})
		c, err := New(srv.Dial(t), Options{})
		if tc.kind == fail.Internal {
			if err != nil {
				t.Errorf("greeting %.20q: New() = %v", tc.greeting, err)
			} else {
				c.Close()
			}
			continue
		}
		if err == nil || fail.KindOf(err) != tc.kind {
			t.Errorf("greeting %.20q: New() = %v, want kind %v", tc.greeting, err, tc.kind)
		}
	}
}

func TestManyMessagesSmallWindow(t *testing.T) {
	var msgs [][]byte
	for i := range 100 {
		msgs = append(msgs, []byte(strings.Repeat(".x\r\n", i)))
	}
	srv, src := login(t, fakepop3.Config{Messages: msgs, Pipelining: true}, Options{Window: 4})
	got := fetchAll(t, src)
	for i, m := range msgs {
		if want := string(fakepop3.Unstuffed(m)); string(got[srv.Remaining()[i]]) != want {
			t.Fatalf("message %d differs", i+1)
		}
	}
	refs, _ := src.List(t.Context(), nil)
	if err := src.Delete(t.Context(), refs); err != nil {
		t.Fatal(err)
	}
	if err := src.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Remaining()); n != 0 {
		t.Errorf("%d messages left after deleting all", n)
	}
}

func TestDeleRefused(t *testing.T) {
	srv, src := login(t, fakepop3.Config{Messages: [][]byte{[]byte("a\r\n"), []byte("b\r\n")},
		Pipelining: true, Hook: fakepop3.Reply("DELE 1", "-ERR [IN-USE] locked\r\n")}, Options{})
	refs, _ := src.List(t.Context(), nil)
	err := src.Delete(t.Context(), refs)
	wantKind(t, err, fail.Temporary)
	if err := src.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Remaining(); len(got) != 1 || got[0] != "uid-1" {
		t.Errorf("remaining %v, want [uid-1]", got)
	}
}
