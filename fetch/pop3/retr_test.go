package pop3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/handoff"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

// mailbox returns the nasty messages in a stable order with their UIDLs.
func mailbox() (msgs [][]byte, uidls []string) {
	n := nasty()
	for name := range n {
		uidls = append(uidls, name)
	}
	sort.Strings(uidls)
	for _, u := range uidls {
		msgs = append(msgs, n[u])
	}
	return msgs, uidls
}

func TestRetrByteExact(t *testing.T) {
	msgs, uidls := mailbox()
	for _, pipelining := range []bool{false, true} {
		srv, src := login(t, fakepop3.Config{Messages: msgs, UIDLs: uidls, Pipelining: pipelining}, Options{})
		got := fetchAll(t, src)
		for i, u := range uidls {
			if want := fakepop3.Unstuffed(msgs[i]); !bytes.Equal(got[u], want) {
				t.Errorf("pipelining %v: message %s differs: got %d bytes, want %d", pipelining, u, len(got[u]), len(want))
			}
		}
		sawPipelined := false
		for _, c := range srv.Commands() {
			sawPipelined = sawPipelined || c.Pipelined
		}
		if sawPipelined != pipelining {
			t.Errorf("PIPELINING advertised %v, but commands sent pipelined: %v", pipelining, sawPipelined)
		}
	}
}

func TestRetrSingle(t *testing.T) {
	msg := []byte("Subject: one\r\n\r\n..dot\r\n")
	srv := fakepop3.Start(t, fakepop3.Config{Messages: [][]byte{msg}})
	c := connect(t, srv, Options{PlaintextOK: true})
	if err := c.Login("user", "secret"); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	n, err := c.Retr(1, &b)
	if err != nil || n != int64(b.Len()) || b.String() != "Subject: one\n\n..dot\n" {
		t.Fatalf("Retr(1) = %d, %v; got %q", n, err, b.String())
	}
	_, err = c.Retr(2, &b)
	var perr *Error
	if !errors.As(err, &perr) || perr.Command != "RETR" {
		t.Fatalf("Retr(2) of a missing message = %v, want a RETR *Error", err)
	}
	if err := c.Noop(); err != nil {
		t.Fatalf("Noop after a refused RETR = %v; the session should go on", err)
	}
}

// bigMessage is a message with a base64-like attachment of about size bytes.
func bigMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("Subject: big\r\nContent-Type: application/octet-stream\r\n\r\n")
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76] + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	b.WriteString("..last\r\n")
	return b.Bytes()
}

func TestRetrBigMessageStreams(t *testing.T) {
	const size = 30 << 20
	msg := bigMessage(size)
	want := sha256.Sum256(fakepop3.Unstuffed(msg))
	_, src := login(t, fakepop3.Config{Messages: [][]byte{msg}, Pipelining: true}, Options{})
	ctx := context.Background()
	refs, err := src.List(ctx, nil)
	if err != nil || len(refs) != 1 {
		t.Fatalf("List() = %v, %v", refs, err)
	}
	h := sha256.New()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err = src.Fetch(ctx, refs, func(_ fetch.Ref, r io.Reader) error {
		_, err := io.Copy(h, r)
		return err
	})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Fetch() = %v", err)
	}
	if !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("the 30 MB message arrived changed")
	}
	// Client and fake server both run in this process; together they must stay far
	// below the message size.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("30 MB message: TotalAlloc delta %d KiB", alloc>>10)
	if alloc > 2<<20 {
		t.Errorf("fetching a 30 MB message allocated %d KiB, want < 2 MiB", alloc>>10)
	}
}

func TestFetchCallbackStopsEarly(t *testing.T) {
	msgs := [][]byte{bigMessage(300 << 10), []byte("S: 2\r\n\r\ntwo\r\n"), []byte("S: 3\r\n\r\nthree\r\n")}
	for _, pipelining := range []bool{false, true} {
		_, src := login(t, fakepop3.Config{Messages: msgs, Pipelining: pipelining}, Options{})
		ctx := context.Background()
		refs, _ := src.List(ctx, nil)
		var kept io.Reader
		got := map[string]string{}
		err := src.Fetch(ctx, refs, func(r fetch.Ref, body io.Reader) error {
			buf := make([]byte, 10)
			n, _ := io.ReadFull(body, buf) // read a little and abandon the rest
			got[r.UIDL], kept = string(buf[:n]), body
			return nil
		})
		if err != nil {
			t.Fatalf("Fetch() = %v", err)
		}
		if got["uid-1"] != "Subject: b" || got["uid-3"] != "S: 3\n\nthre" {
			t.Fatalf("pipelining %v: got %q", pipelining, got)
		}
		if _, err := kept.Read(make([]byte, 1)); !errors.Is(err, handoff.ErrAbandoned) {
			t.Fatalf("reading a reader after its callback returned: %v, want errAbandoned", err)
		}
		// fn's error stops Fetch, and the session is still in step.
		boom := errors.New("disk full")
		calls := 0
		err = src.Fetch(ctx, refs, func(fetch.Ref, io.Reader) error { calls++; return boom })
		if err != boom || calls != 1 {
			t.Fatalf("Fetch with a failing callback = %v after %d calls, want %v after 1", err, calls, boom)
		}
		if err := src.Delete(ctx, refs[:1]); err != nil {
			t.Fatalf("Delete after a failed Fetch = %v; the session should be in step", err)
		}
	}
}

func TestFetchRefusedMessage(t *testing.T) {
	msgs := [][]byte{[]byte("one\r\n"), []byte("two\r\n"), []byte("three\r\n")}
	srv, src := login(t, fakepop3.Config{Messages: msgs, Pipelining: true,
		Hook: fakepop3.Reply("RETR 2", "-ERR [SYS/TEMP] message is locked\r\n")}, Options{})
	ctx := context.Background()
	refs, _ := src.List(ctx, nil)
	refs = append(refs, fetch.Ref{UIDL: "gone"})
	var got []string
	err := src.Fetch(ctx, refs, func(r fetch.Ref, body io.Reader) error {
		b, _ := io.ReadAll(body)
		got = append(got, string(b))
		return nil
	})
	if strings.Join(got, "|") != "one\n|three\n" {
		t.Fatalf("delivered %q, want one and three", got)
	}
	wantKind(t, err, fail.Temporary)
	for _, s := range []string{"message 2", "uid-2", "message is locked", `"gone"`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
	if srv.Saw("DELE") {
		t.Error("DELE sent without being asked")
	}
}

func TestCutMidRetr(t *testing.T) {
	msgs := [][]byte{[]byte("one\r\n"), bigMessage(200 << 10), []byte("three\r\n")}
	for _, pipelining := range []bool{false, true} {
		srv, src := login(t, fakepop3.Config{Messages: msgs, Pipelining: pipelining,
			Hook: fakepop3.CutDuring("RETR 2", 5000)}, Options{})
		ctx := context.Background()
		refs, _ := src.List(ctx, nil)
		var delivered []string
		err := src.Fetch(ctx, refs, func(r fetch.Ref, body io.Reader) error {
			if _, err := io.Copy(io.Discard, body); err != nil {
				return err
			}
			delivered = append(delivered, r.UIDL)
			return nil
		})
		wantKind(t, err, fail.Temporary)
		if strings.Join(delivered, " ") != "uid-1" {
			t.Errorf("delivered %v, want only uid-1", delivered)
		}
		if err := src.Delete(ctx, refs[:1]); err == nil {
			t.Error("Delete on a broken session succeeded")
		}
		if err := src.Commit(ctx); err == nil {
			t.Error("Commit on a broken session succeeded")
		}
		src.Close()
		if srv.Saw("DELE") || srv.Saw("QUIT") {
			t.Errorf("pipelining %v: server saw %s; want no DELE and no QUIT", pipelining, verbs(srv))
		}
		if len(srv.Remaining()) != 3 {
			t.Errorf("server lost messages: %v", srv.Remaining())
		}
	}
}
