package imap

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// TestUnparsableReplyBetweenCommands: a reply go-imap cannot parse, arriving when no
// command is pending, makes go-imap close the connection; the next command then fails
// to be written ("use of closed network connection"). That is still the server's
// fault, a protocol error, not a lost connection to retry (tests/hostile's
// untagged-unknown-response saw both, depending on which goroutine won).
func TestUnparsableReplyBetweenCommands(t *testing.T) {
	// TCP, not net.Pipe: a write on a closed TCP or TLS connection fails with
	// net.ErrClosed, the error that looked like a lost connection.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		server, err := l.Accept()
		if err != nil {
			return
		}
		defer server.Close()
		r := bufio.NewReader(server)
		fmt.Fprint(server, "* OK [CAPABILITY IMAP4rev1 UIDPLUS] ready\r\n")
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		tag, _, _ := strings.Cut(line, " ")
		fmt.Fprintf(server, "%s OK [CAPABILITY IMAP4rev1 UIDPLUS] logged in\r\n* XYZZY plugh\r\n", tag)
		r.ReadString('\n') // until the client closes
	}()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(context.Background(), client, Options{PlaintextOK: true, User: "alex", Auth: "login",
		Password: func(context.Context) (string, error) { return "secret", nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer src.abort()
	select {
	case <-src.c.Closed():
	case <-time.After(10 * time.Second):
		t.Fatal("go-imap kept the connection open after an unknown response")
	}
	_, err = src.Open(context.Background(), "INBOX")
	if fail.KindOf(err) != fail.Protocol || !strings.Contains(err.Error(), "could not be understood") {
		t.Fatalf("got %v (%v), want a protocol error", err, fail.KindOf(err))
	}
	t.Log(err)
}
