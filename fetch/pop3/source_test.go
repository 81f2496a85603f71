package pop3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

// known is a fetch.Known holding a set of UIDLs.
type known map[string]bool

func (k known) Handled(ref fetch.Ref) bool { return k[ref.UIDL] }
func (k known) Since() uint32              { return 0 }
func (k known) Retry() []uint32            { return nil }

func threeMessages() [][]byte {
	return [][]byte{[]byte("one\r\n"), []byte("two two\r\n"), []byte("three\r\n")}
}

func TestListSkipsKnown(t *testing.T) {
	_, src := login(t, fakepop3.Config{Messages: threeMessages()}, Options{})
	refs, err := src.List(t.Context(), known{"uid-2": true})
	if err != nil {
		t.Fatal(err)
	}
	want := []fetch.Ref{{UIDL: "uid-1", Num: 1, Size: 5}, {UIDL: "uid-3", Num: 3, Size: 7}}
	if len(refs) != 2 || refs[0] != want[0] || refs[1] != want[1] {
		t.Fatalf("List() = %+v, want %+v", refs, want)
	}
}

func TestListSkipsBadUIDLs(t *testing.T) {
	msgs := [][]byte{[]byte("1\r\n"), []byte("2\r\n"), []byte("3\r\n"), []byte("4\r\n"), []byte("5\r\n")}
	uidls := []string{"ok-1", strings.Repeat("x", 71), "dup", "dup", "ok-\x7f"}
	var logs bytes.Buffer
	_, src := login(t, fakepop3.Config{Messages: msgs, UIDLs: uidls},
		Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	refs, err := src.List(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, r.UIDL)
	}
	if strings.Join(got, " ") != "ok-1 dup" {
		t.Errorf("List() gave %v, want ok-1 and the first dup", got)
	}
	if n := strings.Count(logs.String(), "skipping a message"); n != 3 {
		t.Errorf("%d warnings, want 3:\n%s", n, logs.String())
	}
}

func TestNoUIDL(t *testing.T) {
	_, src := login(t, fakepop3.Config{Messages: threeMessages(), NoUIDL: true}, Options{})
	_, err := src.List(t.Context(), nil)
	wantKind(t, err, fail.Protocol)
	if !strings.Contains(fail.HintOf(err), "fetch-all-and-delete") {
		t.Errorf("hint %q does not name the option", fail.HintOf(err))
	}

	srv, src := login(t, fakepop3.Config{Messages: threeMessages(), NoUIDL: true},
		Options{NoUIDL: "fetch-all-and-delete"})
	ctx := t.Context()
	refs, err := src.List(ctx, known{})
	if err != nil || len(refs) != 3 {
		t.Fatalf("List() = %v, %v; want 3 refs", refs, err)
	}
	got := fetchAll(t, src)
	if len(got) != 3 || string(got[refs[1].UIDL]) != "two two\n" {
		t.Fatalf("fetched %q", got)
	}
	if err := src.Delete(ctx, refs); err != nil {
		t.Fatal(err)
	}
	if err := src.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if len(srv.Remaining()) != 0 {
		t.Errorf("left on the server: %v", srv.Remaining())
	}
}

func TestCommitDeletesOnlyMarked(t *testing.T) {
	for _, pipelining := range []bool{false, true} {
		srv, src := login(t, fakepop3.Config{Messages: threeMessages(), Pipelining: pipelining}, Options{})
		ctx := t.Context()
		refs, _ := src.List(ctx, nil)
		if err := src.Delete(ctx, []fetch.Ref{refs[0], refs[2], {UIDL: "not-there"}}); err != nil {
			t.Fatalf("Delete() = %v", err)
		}
		if err := src.Commit(ctx); err != nil {
			t.Fatalf("Commit() = %v", err)
		}
		if err := src.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		if got := srv.Remaining(); len(got) != 1 || got[0] != "uid-2" {
			t.Errorf("remaining %v, want [uid-2]", got)
		}
	}
}

func TestCloseWithoutCommitSendsNoQuit(t *testing.T) {
	srv, src := login(t, fakepop3.Config{Messages: threeMessages()}, Options{})
	ctx := t.Context()
	refs, _ := src.List(ctx, nil)
	fetchAll(t, src)
	if err := src.Delete(ctx, refs); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(srv.Remaining()) == 3 && srv.Saw("DELE") })
	if srv.Saw("QUIT") || srv.Saw("RSET") {
		t.Errorf("server saw %s; want no QUIT", verbs(srv))
	}
}

func TestQuitRefused(t *testing.T) {
	_, src := login(t, fakepop3.Config{Messages: threeMessages(),
		Hook: fakepop3.ReplyAndHangup("QUIT", "-ERR [SYS/TEMP] some messages not removed\r\n")}, Options{})
	err := src.Commit(t.Context())
	wantKind(t, err, fail.Temporary)
}

func TestRefsAreCheckedAgainstListing(t *testing.T) {
	srv, src := login(t, fakepop3.Config{Messages: threeMessages()}, Options{})
	ctx := t.Context()
	if _, err := src.List(ctx, nil); err != nil {
		t.Fatal(err)
	}
	err := src.Delete(ctx, []fetch.Ref{{UIDL: "uid-1", Num: 2}})
	wantKind(t, err, fail.Internal)
	if srv.Saw("DELE") {
		t.Error("DELE sent for a ref whose number contradicts the listing")
	}
	if _, err := src.Open(ctx, "Archive"); err == nil {
		t.Error("Open(Archive) = nil error")
	}
	if mb, err := src.Open(ctx, "INBOX"); err != nil || mb.Validity() != 0 {
		t.Errorf("Open(INBOX) = %v, %v", mb, err)
	}
}

func TestCancelStalledFetch(t *testing.T) {
	srv, src := login(t, fakepop3.Config{Messages: threeMessages(), Hook: fakepop3.StallOn("RETR 1")}, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	refs, _ := src.List(ctx, nil)
	time.AfterFunc(50*time.Millisecond, cancel)
	err := src.Fetch(ctx, refs, func(fetch.Ref, io.Reader) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch() = %v, want context.Canceled", err)
	}
	if err := src.Commit(t.Context()); err == nil {
		t.Error("Commit after a cancelled Fetch succeeded")
	}
	if srv.Saw("QUIT") {
		t.Error("QUIT sent after a cancelled Fetch")
	}
}

// armConn is a fetch.TimeoutConn that records whether it was armed during each Read.
type armConn struct {
	net.Conn
	mu          sync.Mutex
	armed       bool
	unarmedRead int
}

func (c *armConn) SetTimeout(time.Duration) {}
func (c *armConn) Arm(on bool)              { c.mu.Lock(); c.armed = on; c.mu.Unlock() }
func (c *armConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if !c.armed {
		c.unarmedRead++
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}

func TestTimeoutArmedOnlyWhileWaiting(t *testing.T) {
	srv := fakepop3.Start(t, fakepop3.Config{Messages: threeMessages(), Pipelining: true})
	conn := &armConn{Conn: srv.Dial(t)}
	c, err := New(conn, Options{PlaintextOK: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("user", "secret"); err != nil {
		t.Fatal(err)
	}
	src := NewSource(c)
	fetchAll(t, src)
	if conn.unarmedRead != 0 || conn.armed {
		t.Errorf("%d reads without the timeout armed; armed between commands: %v", conn.unarmedRead, conn.armed)
	}
}

// waitFor polls cond for up to a minute: the server notices a dropped connection
// asynchronously.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
	}
}
