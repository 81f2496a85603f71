package smtp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fetchsecure/fetchsecure/deliver/spool"
	"github.com/fetchsecure/fetchsecure/deliver/spool/spooltest"
	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

const rcpt = "user@example.org"

func newSink(t *testing.T, addr string, lmtp bool, opts Options) *SMTP {
	t.Helper()
	spoolDir := t.TempDir()
	t.Cleanup(func() {
		entries, _ := os.ReadDir(spoolDir)
		for _, e := range entries {
			t.Errorf("left in the spool: %s", e.Name())
		}
	})
	opts.SpoolDir, opts.LMTP, opts.Trace = spoolDir, lmtp, spooltest.Trace
	if opts.DeliverTo == "" {
		opts.DeliverTo = rcpt
	}
	s, err := New(addr, opts)
	if err != nil {
		t.Fatalf("New(%q) = %v", addr, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func stage(t *testing.T, s *SMTP, bodies ...[]byte) []fetch.Staged {
	t.Helper()
	var batch []fetch.Staged
	for _, b := range bodies {
		st, err := s.Stage(context.Background(), spooltest.Envelope(), bytes.NewReader(b))
		if err != nil {
			t.Fatalf("Stage = %v", err)
		}
		batch = append(batch, st)
	}
	return batch
}

func publish(t *testing.T, s *SMTP, bodies ...[]byte) []error {
	t.Helper()
	return s.Publish(context.Background(), stage(t, s, bodies...))
}

// lf turns CRLF into LF and ends the text with a newline, as DATA does.
func lf(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return b
}

func modes() map[string]struct {
	lmtp    bool
	network string
} {
	return map[string]struct {
		lmtp    bool
		network string
	}{
		"LMTP unix": {true, "unix"}, "LMTP tcp": {true, "tcp"},
		"SMTP unix": {false, "unix"}, "SMTP tcp": {false, "tcp"},
	}
}

func TestBytesArrive(t *testing.T) {
	for name, m := range modes() {
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, m.lmtp, m.network, nil)
			s := newSink(t, ts.addr, m.lmtp, Options{Hostname: "fetch.example"})
			msgs := spooltest.Messages(!testing.Short())
			var bodies [][]byte
			for _, msg := range msgs {
				bodies = append(bodies, msg.Body)
			}
			for i, err := range publish(t, s, bodies...) {
				if err != nil {
					t.Errorf("%s: Publish = %v", msgs[i].Name, err)
				}
			}
			got := ts.messages()
			if len(got) != len(msgs) {
				t.Fatalf("server received %d messages, want %d", len(got), len(msgs))
			}
			for i, r := range got {
				want := lf(spooltest.Staged(msgs[i].Body))
				if !bytes.Equal(lf(r.data), want) {
					t.Errorf("%s: server received %d bytes, want %d (%.80q)", msgs[i].Name, len(r.data), len(want), r.data)
				}
				if r.from != "" || len(r.to) != 1 || r.to[0] != rcpt {
					t.Errorf("%s: envelope %q -> %q", msgs[i].Name, r.from, r.to)
				}
				if r.opts.Body != gosmtp.Body8BitMIME || !r.opts.UTF8 {
					t.Errorf("%s: MAIL options %+v, want BODY=8BITMIME SMTPUTF8", msgs[i].Name, r.opts)
				}
			}
			if n := ts.connections(); n != 1 {
				t.Errorf("batch used %d connections, want 1", n)
			}
		})
	}
}

func TestDotsAndLineEndingsOnTheWire(t *testing.T) {
	// A raw server sees exactly what the client sends: dots doubled, CRLF everywhere.
	wire := &lockedBuffer{}
	ts := startServer(t, true, "unix", func(ts *testServer) { ts.srv.Debug = wire })
	s := newSink(t, ts.addr, true, Options{})
	s.trace = spooltest.Trace
	s.trace.AddReceived, s.trace.DeliverTo = false, ""
	if err := publish(t, s, []byte("Subject: d\n\n.\n..\nend"))[0]; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(wire.String(), "Subject: d\r\n\r\n..\r\n...\r\nend\r\n.\r\n") {
		t.Errorf("wire: %q", wire.String())
	}
}

func TestReplies(t *testing.T) {
	reply := func(code int, text string) error {
		return &gosmtp.SMTPError{Code: code, EnhancedCode: gosmtp.EnhancedCode{code / 100, 1, 1}, Message: text}
	}
	tests := []struct {
		name  string
		setup func(*testServer)
		kind  fail.Kind
		text  string
	}{
		{"RCPT 550", func(ts *testServer) { ts.rcptErr = func(string) error { return reply(550, "no such user") } },
			fail.Delivery, "refused RCPT TO: 550 5.1.1 no such user"},
		{"RCPT 450", func(ts *testServer) { ts.rcptErr = func(string) error { return reply(450, "mailbox busy") } },
			fail.Temporary, "450 4.1.1 mailbox busy"},
		{"DATA 554", func(ts *testServer) { ts.dataErr = func([]byte) error { return reply(554, "spam") } },
			fail.Delivery, "554 5.1.1 "},
		{"DATA 452", func(ts *testServer) { ts.dataErr = func([]byte) error { return reply(452, "over quota") } },
			fail.Temporary, "452 4.1.1 "},
	}
	for _, tt := range tests {
		for name, m := range modes() {
			t.Run(tt.name+" "+name, func(t *testing.T) {
				first := true
				ts := startServer(t, m.lmtp, m.network, func(ts *testServer) {
					tt.setup(ts)
					// Only the first message is refused; the second must still go through.
					rcptErr, dataErr := ts.rcptErr, ts.dataErr
					if rcptErr != nil {
						ts.rcptErr = func(to string) error {
							if first {
								first = false
								return rcptErr(to)
							}
							return nil
						}
					}
					if dataErr != nil {
						ts.dataErr = func(b []byte) error {
							if first {
								first = false
								return dataErr(b)
							}
							return nil
						}
					}
				})
				s := newSink(t, ts.addr, m.lmtp, Options{})
				errs := publish(t, s, []byte("Subject: 1\n\n"), []byte("Subject: 2\n\n"))
				if fail.KindOf(errs[0]) != tt.kind || !strings.Contains(errs[0].Error(), tt.text) {
					t.Errorf("first message: %v (%v), want %v with %q", errs[0], fail.KindOf(errs[0]), tt.kind, tt.text)
				}
				if errs[1] != nil {
					t.Errorf("second message: %v", errs[1])
				}
				if got := ts.messages(); len(got) != 1 || !bytes.Contains(got[0].data, []byte("Subject: 2")) {
					t.Errorf("server has %d messages", len(got))
				}
				if n := ts.connections(); n != 1 {
					t.Errorf("batch used %d connections, want 1", n)
				}
			})
		}
	}
}

func TestLongLineRefused(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		ts := startServer(t, false, network, func(ts *testServer) { ts.srv.MaxLineLength = 1000 })
		s := newSink(t, ts.addr, false, Options{})
		long := []byte("Subject: long\n\n" + strings.Repeat("x", 100_000) + "\n")
		errs := publish(t, s, long, []byte("Subject: short\n\nok\n"))
		// Usually the server's 554 is read; if its reset of the connection overtakes the
		// reply (a slow machine), the error is temporary. Either way it names the line.
		err := errs[0]
		replied := fail.KindOf(err) == fail.Delivery && strings.Contains(err.Error(), "554 5.0.0")
		if !replied && !fail.IsTemporary(err) || !strings.Contains(err.Error(), "line of 100002 octets") ||
			!strings.Contains(fail.HintOf(err), "RFC 5321 §4.5.3.1.6") {
			t.Errorf("%s: long line: %v (hint %q)", network, err, fail.HintOf(err))
		}
		if errs[1] != nil {
			t.Errorf("%s: message after the long one: %v", network, errs[1])
		}
		if got := ts.messages(); len(got) != 1 {
			t.Errorf("%s: server has %d messages, want 1", network, len(got))
		}
	}
}

func TestEnvelopeFrom(t *testing.T) {
	tests := []struct {
		header string
		want   string
	}{
		{"Return-Path: <bounce@lists.example>\nFrom: a@b\n", "bounce@lists.example"},
		{"Return-Path: <>\nFrom: a@b\n", ""},
		{"From: a@b\n", ""},
		{"Return-Path: <a b@c>\n", ""},
		{"Return-Path: <postmaster>\n", ""},
		{"Return-Path: <-oQ/x@y>\n", "-oQ/x@y"},
		{"Return-Path: <jörg@bücher.example>\n", "jörg@bücher.example"},
		{"Return-Path: <j\xf6rg@x>\n", ""},
		{"Return-Path: <" + strings.Repeat("a", 300) + "@x>\n", ""},
	}
	ts := startServer(t, true, "unix", nil)
	s := newSink(t, ts.addr, true, Options{})
	for i, tt := range tests {
		if err := publish(t, s, []byte(tt.header+"\nbody\n"))[0]; err != nil {
			t.Fatalf("%q: %v", tt.header, err)
		}
		if got := ts.messages()[i].from; got != tt.want {
			t.Errorf("%q: MAIL FROM:<%s>, want <%s>", tt.header, got, tt.want)
		}
	}
	if envelopeFrom(spool.Sender{ReturnPath: "jörg@x", HasReturnPath: true}, false) != "" {
		t.Errorf("non-ASCII sender used without SMTPUTF8")
	}
}

func TestConnectionTrouble(t *testing.T) {
	// Nothing listens: every message of the batch fails temporarily, after one dial.
	s := newSink(t, "unix:"+filepath.Join(t.TempDir(), "none.sock"), true, Options{})
	for _, err := range publish(t, s, []byte("a\n"), []byte("b\n")) {
		if !fail.IsTemporary(err) || !strings.Contains(err.Error(), "connect") {
			t.Errorf("Publish = %v, want temporary connect error", err)
		}
	}
	// The server drops the connection after reading a message, before its reply: that
	// message is temporary (it may be a duplicate next run), the next one redials.
	drops := 1
	ts := startServer(t, true, "unix", func(ts *testServer) {
		ts.onData = func(c *gosmtp.Conn) {
			if drops > 0 {
				drops--
				c.Close()
			}
		}
	})
	s = newSink(t, ts.addr, true, Options{})
	errs := publish(t, s, []byte("Subject: 1\n\n"), []byte("Subject: 2\n\n"))
	if !fail.IsTemporary(errs[0]) || errs[1] != nil {
		t.Errorf("Publish = %v, want [temporary, nil]", errs)
	}
	if n := ts.connections(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// stallServer accepts connections and never says anything.
func stallServer(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "stall.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return "unix:" + path
}

func TestStalledServer(t *testing.T) {
	addr := stallServer(t)
	s := newSink(t, addr, true, Options{Timeout: 300 * time.Millisecond})
	start := time.Now()
	if err := publish(t, s, []byte("x\n"))[0]; !fail.IsTemporary(err) {
		t.Errorf("Publish = %v, want temporary", err)
	}
	s = newSink(t, addr, true, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.Publish(ctx, stage(t, s, []byte("x\n")))[0]; !fail.IsTemporary(err) {
		t.Errorf("Publish with cancelled ctx = %v, want temporary", err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("took %v", d)
	}
}

// TestSpoolReadErrorAborts: a message that cannot be read to its end must not be ended
// with a dot, or the server would deliver it truncated.
func TestSpoolReadErrorAborts(t *testing.T) {
	ts := startServer(t, true, "unix", nil)
	s := newSink(t, ts.addr, true, Options{})
	sess := &session{s: s}
	defer sess.close()
	c, err := sess.client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	body := io.MultiReader(strings.NewReader("Subject: cut\n\npart"), errReader{})
	step, err := sess.transact(c, spool.Sender{}, body, spool.Stats{})
	if step != "" || !fail.IsTemporary(err) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("transact = %v, want a local read error", err)
	}
	sess.drop()
	// The server sees the connection end in the middle of DATA.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ts.mu.Lock()
		n := ts.dataErrs
		ts.mu.Unlock()
		if n == 1 {
			break
		}
	}
	if got := ts.messages(); len(got) != 0 {
		t.Errorf("server accepted %d truncated messages", len(got))
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		addr string
		lmtp bool
		opts Options
	}{
		{"unix:/x.sock", true, Options{DeliverTo: ""}},
		{"unix:/x.sock", true, Options{DeliverTo: "a b@c"}},
		{"unix:/x.sock", true, Options{DeliverTo: "u@x", Hostname: "my host"}},
		{"unix:rel.sock", true, Options{DeliverTo: "u@x"}},
		{"localhost", true, Options{DeliverTo: "u@x"}},
		{"::1", false, Options{DeliverTo: "u@x"}},
		{"192.0.2.1:25", false, Options{DeliverTo: "u@x"}},
		{"[2001:db8::1]:24", true, Options{DeliverTo: "u@x"}},
		{"127.0.0.1:0", false, Options{DeliverTo: "u@x"}},
		{"127.0.0.1:99999", false, Options{DeliverTo: "u@x"}},
		{":25", false, Options{DeliverTo: "u@x"}},
		{"unix:/x.sock", true, Options{DeliverTo: "u@x", SpoolDir: "/nonexistent"}},
	}
	for _, tt := range tests {
		tt.opts.LMTP = tt.lmtp
		if _, err := New(tt.addr, tt.opts); fail.KindOf(err) != fail.Config {
			t.Errorf("New(%q, %+v) = %v, want a config error", tt.addr, tt.opts, err)
		}
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		addr        string
		lmtp, allow bool
		want        string
	}{
		{"unix:/run/dovecot/lmtp", true, false, "unix:/run/dovecot/lmtp"},
		{"127.0.0.1:24", true, false, "127.0.0.1:24"},
		{"127.0.0.1", false, false, "127.0.0.1:25"},
		{"[::1]", false, false, "[::1]:25"},
		{"[::1]:2525", false, false, "[::1]:2525"},
		{"localhost", false, false, "localhost:25"},
		{"[::ffff:127.0.0.1]:25", false, false, "[::ffff:127.0.0.1]:25"},
		{"mail.example.org:25", false, true, "mail.example.org:25"},
		{"192.0.2.1", false, true, "192.0.2.1:25"},
	}
	for _, tt := range tests {
		got, err := parseTarget(tt.addr, tt.lmtp, tt.allow)
		if err != nil || got.String() != tt.want {
			t.Errorf("parseTarget(%q) = %v, %v; want %s", tt.addr, got, err, tt.want)
		}
	}
}

func TestLocalhostResolvesToLoopback(t *testing.T) {
	ts := startServer(t, false, "tcp", nil)
	_, port, _ := net.SplitHostPort(ts.addr)
	s := newSink(t, "localhost:"+port, false, Options{})
	if err := publish(t, s, []byte("Subject: x\n\n"))[0]; err != nil {
		t.Errorf("Publish via localhost = %v", err)
	}
}

func TestCheck(t *testing.T) {
	s := newSink(t, "unix:/nonexistent.sock", true, Options{})
	st := stage(t, s, []byte("x"))[0]
	if out, err := s.Check(st.Receipt()); out != fetch.Unknown || err != nil {
		t.Errorf("Check = %v, %v; want Unknown", out, err)
	}
}

// FuzzParseTarget: a target from the configuration never names a remote IP address
// unless remote delivery is allowed. (Names are not resolved here: tests talk to no DNS
// server; TestLocalhostResolvesToLoopback covers names.)
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"unix:/run/lmtp", "127.0.0.1:24", "[::1]", "localhost", "[::ffff:10.0.0.1]:25",
		"10.0.0.1", "0.0.0.0:25", "[fe80::1%lo]:24", "127.1"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, addr string, lmtp bool) {
		tg, err := parseTarget(addr, lmtp, false)
		if err != nil || tg.socket != "" {
			return
		}
		if _, err := netip.ParseAddr(tg.host); err != nil {
			return
		}
		ips, err := tg.resolve(context.Background())
		if err != nil {
			return
		}
		for _, ip := range ips {
			if !ip.IsLoopback() {
				t.Fatalf("parseTarget(%q) leads to %v", addr, ip)
			}
		}
	})
}

func TestConnectionKeptBetweenPublishCalls(t *testing.T) {
	// The pipeline hands an LMTP or SMTP target one message per Publish: they share a
	// connection until Close, and one the server closed in between is dialed again.
	var conns []*gosmtp.Conn
	ts := startServer(t, true, "unix", func(ts *testServer) {
		ts.onData = func(c *gosmtp.Conn) { conns = append(conns, c) }
	})
	s := newSink(t, ts.addr, true, Options{})
	for i := range 3 {
		if errs := publish(t, s, fmt.Appendf(nil, "Subject: %d\n\n", i)); errs[0] != nil {
			t.Fatalf("Publish %d = %v", i, errs[0])
		}
	}
	if n := ts.connections(); n != 1 {
		t.Errorf("3 Publish calls used %d connections, want 1", n)
	}
	conns[len(conns)-1].Close() // the server's idle timeout
	if errs := publish(t, s, []byte("Subject: after\n\n")); errs[0] != nil {
		t.Fatalf("Publish after the server closed the connection = %v", errs[0])
	}
	if n, got := ts.connections(), len(ts.messages()); n != 2 || got != 4 {
		t.Errorf("%d connections, %d messages; want 2 and 4", n, got)
	}
	if err := s.Close(); err != nil || ts.connections() != 2 {
		t.Errorf("Close = %v", err)
	}
}
