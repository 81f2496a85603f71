package fakepop3

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// dial returns a textproto client on srv, logged in unless login is false.
func dial(t *testing.T, srv *Server, login bool) *textproto.Conn {
	t.Helper()
	conn := srv.Dial(t)
	conn.SetDeadline(time.Now().Add(time.Minute))
	c := textproto.NewConn(conn)
	t.Cleanup(func() { c.Close() })
	expect(t, c, "", "+OK")
	if login {
		expect(t, c, "USER user", "+OK")
		expect(t, c, "PASS secret", "+OK")
	}
	return c
}

// expect sends cmd (unless "") and checks the reply line's prefix.
func expect(t *testing.T, c *textproto.Conn, cmd, prefix string) string {
	t.Helper()
	if cmd != "" {
		if err := c.PrintfLine("%s", cmd); err != nil {
			t.Fatalf("send %s: %v", cmd, err)
		}
	}
	line, err := c.ReadLine()
	if err != nil || !strings.HasPrefix(line, prefix) {
		t.Fatalf("%s: reply %q, %v; want %s", cmd, line, err, prefix)
	}
	return line
}

func lines(t *testing.T, c *textproto.Conn) []string {
	t.Helper()
	l, err := c.ReadDotLines()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestStuff(t *testing.T) {
	cases := map[string]string{
		"":                 ".\r\n",
		"a\r\n":            "a\r\n.\r\n",
		".\r\n..x\r\n":     "..\r\n...x\r\n.\r\n",
		"no end":           "no end\r\n.\r\n",
		"lf\n.dot":         "lf\n..dot\r\n.\r\n",
		"x\r\n.\r\n":       "x\r\n..\r\n.\r\n",
		"cr at the end\r":  "cr at the end\r\r\n.\r\n",
		".first\r\nsecond": "..first\r\nsecond\r\n.\r\n",
	}
	for in, want := range cases {
		if got := string(Stuff([]byte(in))); got != want {
			t.Errorf("Stuff(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetrMatchesTextproto(t *testing.T) {
	msgs := [][]byte{[]byte("Subject: a\r\n\r\n.hidden\r\n..two\r\n.\r\n"), []byte("no final newline"),
		[]byte(strings.Repeat("L", 70_000) + "\r\n"), nil}
	srv := Start(t, Config{Messages: msgs})
	c := dial(t, srv, true)
	for i, m := range msgs {
		expect(t, c, fmt.Sprintf("RETR %d", i+1), "+OK")
		got, err := io.ReadAll(c.DotReader())
		if err != nil || !bytes.Equal(got, Unstuffed(m)) {
			t.Errorf("message %d: %q, %v; want %q", i+1, got, err, Unstuffed(m))
		}
	}
}

func TestCapabilities(t *testing.T) {
	srv := Start(t, Config{Pipelining: true, SASLPlain: true, UTF8: true, NoUser: true,
		ExtraCaps: []string{"LOGIN-DELAY 10"}})
	c := dial(t, srv, false)
	expect(t, c, "CAPA", "+OK")
	got := strings.Join(lines(t, c), ",")
	want := "TOP,RESP-CODES,AUTH-RESP-CODE,UIDL,PIPELINING,SASL PLAIN,UTF8,LOGIN-DELAY 10"
	if got != want {
		t.Errorf("CAPA = %s, want %s", got, want)
	}
	expect(t, c, "USER user", "-ERR")
	expect(t, c, "AUTH PLAIN AHVzZXIAc2VjcmV0", "+OK")

	srv = Start(t, Config{NoCAPA: true})
	expect(t, dial(t, srv, false), "CAPA", "-ERR")
}

func TestDeletionNeedsQuit(t *testing.T) {
	srv := Start(t, Config{Messages: [][]byte{[]byte("1\r\n"), []byte("2\r\n"), []byte("3\r\n")}})
	c := dial(t, srv, true)
	expect(t, c, "DELE 1", "+OK")
	expect(t, c, "DELE 1", "-ERR")
	expect(t, c, "RETR 1", "-ERR")
	expect(t, c, "STAT", "+OK 2 6")
	c.Close()
	c = dial(t, srv, true) // the dropped session deleted nothing
	expect(t, c, "UIDL", "+OK")
	if got := strings.Join(lines(t, c), ","); got != "1 uid-1,2 uid-2,3 uid-3" {
		t.Errorf("UIDL after a dropped session = %s", got)
	}
	expect(t, c, "DELE 2", "+OK")
	expect(t, c, "RSET", "+OK")
	expect(t, c, "DELE 3", "+OK")
	expect(t, c, "QUIT", "+OK")
	if got := strings.Join(srv.Remaining(), ","); got != "uid-1,uid-2" {
		t.Errorf("remaining after QUIT = %s", got)
	}
}

func TestRecordsPipelining(t *testing.T) {
	srv := Start(t, Config{Messages: [][]byte{[]byte("1\r\n")}})
	c := dial(t, srv, true)
	c.PrintfLine("NOOP\r\nNOOP\r\nNOOP") // three commands in one write
	for range 3 {
		expect(t, c, "", "+OK")
	}
	cmds := srv.Commands()
	if len(cmds) != 5 || cmds[1].Line != "PASS secret" || !cmds[2].Pipelined || cmds[4].Pipelined {
		t.Errorf("commands %+v", cmds)
	}
}

func TestHooks(t *testing.T) {
	srv := Start(t, Config{Messages: [][]byte{[]byte(strings.Repeat("x", 1000) + "\r\n")},
		Greeting: "+OK custom <1.2@host>",
		Hook:     Chain(Reply("STAT", "+OK bogus\r\n"), CutDuring("RETR 1", 100))})
	c := dial(t, srv, true)
	expect(t, c, "STAT", "+OK bogus")
	expect(t, c, "RETR 1", "+OK")
	if _, err := io.ReadAll(c.DotReader()); err == nil {
		t.Error("a reply cut after 100 bytes read without error")
	}
}

func TestSTLSAndImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := TLSConfigs(t)
	srv := Start(t, Config{STLS: serverTLS})
	conn := srv.Dial(t)
	defer conn.Close()
	br := bufio.NewReader(conn)
	io.WriteString(conn, "STLS\r\n")
	for _, want := range []string{"+OK fakepop3", "+OK Begin"} {
		if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, want) {
			t.Fatalf("got %q, want %s", line, want)
		}
	}
	tc := tls.Client(conn, clientTLS)
	io.WriteString(tc, "CAPA\r\n")
	tr := textproto.NewReader(bufio.NewReader(tc))
	if line, err := tr.ReadLine(); err != nil || !strings.HasPrefix(line, "+OK") {
		t.Fatalf("CAPA over TLS: %q, %v", line, err)
	}
	if caps, _ := tr.ReadDotLines(); strings.Contains(strings.Join(caps, ","), "STLS") {
		t.Error("STLS still advertised over TLS")
	}
	if cmds := srv.Commands(); cmds[0].TLS || !cmds[1].TLS {
		t.Errorf("TLS flags %+v", cmds)
	}

	srv = Start(t, Config{TLS: serverTLS})
	conn = tls.Client(srv.Dial(t), clientTLS)
	defer conn.Close()
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
		t.Fatalf("pop3s greeting %q, %v", line, err)
	}
}

func TestStallEndsWithServer(t *testing.T) {
	srv := Start(t, Config{Hook: StallOn("NOOP")})
	c := dial(t, srv, true)
	c.PrintfLine("NOOP")
	done := make(chan error)
	go func() { _, err := c.ReadLine(); done <- err }()
	srv.Close()
	if err := <-done; err == nil {
		t.Error("a stalled session answered")
	}
}
