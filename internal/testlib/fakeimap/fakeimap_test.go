package fakeimap

import (
	"crypto/tls"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// client logs in to srv with go-imap's client: the fake must satisfy a real client.
func client(t *testing.T, srv *Server, cfg *tls.Config) *imapclient.Client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", srv.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(time.Minute))
	var c *imapclient.Client
	if cfg != nil {
		c, err = imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: cfg})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		c = imapclient.New(conn, nil)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("user", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFetchStoreExpunge(t *testing.T) {
	msgs := [][]byte{[]byte("Subject: 1\r\n\r\none\r\n"), []byte("Subject: 2\r\n\r\ntwo\r\n"), []byte("Subject: 3\r\n\r\n")}
	srv := Start(t, Config{Messages: msgs, UIDs: []uint32{4, 9, 12}, UIDValidity: 77})
	c := client(t, srv, nil)
	data, err := c.Select("INBOX", nil).Wait()
	if err != nil || data.NumMessages != 3 || data.UIDValidity != 77 || data.UIDNext != 13 {
		t.Fatalf("SELECT = %+v, %v", data, err)
	}
	var set imap.UIDSet
	set.AddRange(10, 0) // 10:* matches 12
	got, err := c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil || len(got) != 1 || got[0].UID != 12 || string(got[0].BodySection[0].Bytes) != string(msgs[2]) {
		t.Fatalf("UID FETCH 10:* = %+v, %v", got, err)
	}
	set = imap.UIDSetNum(4, 12)
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
		Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	expunged, err := c.UIDExpunge(imap.UIDSetNum(12)).Collect()
	if err != nil || !slices.Equal(expunged, []uint32{3}) {
		t.Fatalf("UID EXPUNGE 12 = %v, %v", expunged, err)
	}
	if r := srv.Remaining("INBOX"); !slices.Equal(r, []uint32{4, 9}) {
		t.Errorf("remaining %v, want [4 9]", r)
	}
	if f := srv.Flagged("inbox"); !slices.Equal(f, []uint32{4}) {
		t.Errorf("flagged %v, want [4]", f)
	}
	if !srv.Saw("UID EXPUNGE") || !srv.Saw("uid store") {
		t.Errorf("commands %v", srv.Commands())
	}
}

func TestStartTLSAndHooks(t *testing.T) {
	ca := testlib.NewCA(t)
	srv := Start(t, Config{
		Messages: [][]byte{[]byte("x\r\n")},
		StartTLS: ca.Issue(t).TLSConfig(),
		Hook:     Chain(Before("SELECT", "* OK [ALERT] hello\r\n"), Reply("NOOP", "%TAG% NO nope\r\n")),
	})
	c := client(t, srv, ca.ClientConfig(""))
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop().Wait(); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("NOOP = %v, want the hook's NO", err)
	}
	for _, cmd := range srv.Commands() {
		if cmd.Verb == "LOGIN" && !cmd.TLS {
			t.Errorf("LOGIN sent in plaintext")
		}
	}
}

func TestLiteralArguments(t *testing.T) {
	srv := Start(t, Config{Folders: []Folder{{Name: "a\"b\\c", Messages: []*Message{{UID: 1, Data: []byte("y\r\n")}}}}})
	c := client(t, srv, nil)
	if _, err := c.Select("a\"b\\c", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if name, ok := DecodeMailbox("Entw&APw-rfe &- Co"); !ok || name != "Entwürfe & Co" {
		t.Errorf("DecodeMailbox = %q, %v", name, ok)
	}
	if _, ok := DecodeMailbox("&Jjo"); ok {
		t.Errorf("unterminated shift decoded")
	}
}

func TestFaults(t *testing.T) {
	srv := Start(t, Config{Messages: [][]byte{[]byte(strings.Repeat("z", 5000))},
		Hook: CutDuring("UID FETCH", 100)})
	conn, err := net.DialTimeout("tcp", srv.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	io.WriteString(conn, "a LOGIN user secret\r\nb SELECT INBOX\r\nc UID FETCH 1 BODY.PEEK[]\r\n")
	got, _ := io.ReadAll(conn)                               // until the server cuts the connection
	head, body, _ := strings.Cut(string(got), "c UID FETCH") // no tagged reply for c
	if !strings.Contains(head, "b OK") || body != "" {
		t.Fatalf("session before the cut: %q", got)
	}
	i := strings.Index(string(got), "* 1 FETCH")
	if i < 0 || len(got)-i != 100 {
		t.Fatalf("the FETCH reply was cut after %d bytes, want 100: %q", len(got)-i, got)
	}
	if len(srv.Remaining("INBOX")) != 1 {
		t.Fatal("message lost")
	}
}
