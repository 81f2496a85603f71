package pop3

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

// connect starts a session on srv with opts (PlaintextOK unless the test says
// otherwise through opts) and closes it when the test ends.
func connect(t testing.TB, srv *fakepop3.Server, opts Options) *Client {
	t.Helper()
	conn := srv.Dial(t)
	conn.SetDeadline(time.Now().Add(2 * time.Minute)) // a hang fails the test, slowly
	c, err := New(conn, opts)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// login starts a server with cfg and returns a logged-in Source on it.
func login(t testing.TB, cfg fakepop3.Config, opts Options) (*fakepop3.Server, *Source) {
	t.Helper()
	srv := fakepop3.Start(t, cfg)
	opts.PlaintextOK = true
	c := connect(t, srv, opts)
	if err := c.Login("user", "secret"); err != nil {
		t.Fatalf("Login() = %v", err)
	}
	return srv, NewSource(c)
}

// fetchAll lists and fetches every message and returns their bytes by UIDL.
func fetchAll(t testing.TB, src *Source) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	refs, err := src.List(ctx, nil)
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	got := map[string][]byte{}
	err = src.Fetch(ctx, refs, func(r fetch.Ref, body io.Reader) error {
		b, err := io.ReadAll(body)
		got[r.UIDL] = b
		return err
	})
	if err != nil {
		t.Fatalf("Fetch() = %v", err)
	}
	return got
}

// wantKind fails the test unless err has kind k.
func wantKind(t testing.TB, err error, k fail.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want a %v error", k)
	}
	if got := fail.KindOf(err); got != k {
		t.Fatalf("error %q has kind %v, want %v", err, got, k)
	}
}

// verbs returns the verbs the server received, joined by spaces.
func verbs(srv *fakepop3.Server) string { return strings.Join(srv.Verbs(), " ") }

// readConn is a net.Conn that reads from r and discards writes, for feeding a Client
// raw server bytes in fuzz tests.
type readConn struct {
	net.Conn
	r io.Reader
}

func (c readConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c readConn) Write(p []byte) (int, error) { return len(p), nil }
func (c readConn) Close() error                { return nil }

// rawClient returns a Client reading the server bytes data, past the greeting.
func rawClient(data []byte, maxLine int) *Client {
	c := &Client{conn: readConn{r: bytes.NewReader(data)}, opts: Options{MaxLine: maxLine, Window: 4}}
	c.br = newReader(c.conn, maxLine)
	c.bw = newWriter(c.conn)
	c.copyBuf = make([]byte, 512)
	return c
}

// nasty are messages that broke other POP3 clients (see research/libraries.md §2).
func nasty() map[string][]byte {
	return map[string][]byte{
		"long-line":      []byte("Subject: long\r\n\r\n" + strings.Repeat("A", 100_000) + "\r\nend\r\n"),
		"dot-lines":      []byte("Subject: dots\r\n\r\n.\r\n..\r\n...\r\n.x\r\n..y\r\nz\r\n"),
		"terminator":     []byte("Subject: t\r\n\r\nbefore\r\n.\r\nafter\r\n"),
		"4096B-dot":      []byte("Subject: b\r\n\r\n" + strings.Repeat("B", 4096) + ".\r\nafter\r\n"),
		"64K-CRLF-split": []byte("Subject: c\r\n\r\n" + strings.Repeat("C", 65535) + "\r\nnext\r\n"),
		"64K-lone-CR":    []byte("S: d\r\n\r\n" + strings.Repeat("D", 65535) + "\rX\r\n.\r\n"),
		"64K-dot-line":   []byte("S: e\r\n\r\n." + strings.Repeat("E", 70000) + "\r\n"),
		"nul":            []byte("Subject: n\x00ul\r\n\r\na\x00b\r\n\x00\r\n"),
		"8bit":           []byte("Subject: caf\xc3\xa9 \xff\xfe\xe9\r\nFrom: J\xfcrgen <j@x>\r\n\r\nbody \x80\r\n"),
		"no-final-lf":    []byte("Subject: x\r\n\r\nno newline at the end"),
		"no-final-CRLF":  []byte("Subject: x\r\n\r\nends in CR\r"),
		"headers-only":   []byte("Subject: no body\r\nFrom: a@b\r\n"),
		"empty-body":     []byte("Subject: empty\r\n\r\n"),
		"bare-lf-cr":     []byte("a\nb\r\nc\rd\r\n\n.e\n"),
		"empty":          nil,
		"dot-cr":         []byte(".\rfoo\r\n"),
	}
}
