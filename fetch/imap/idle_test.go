package imap

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// armConn records how a protocol client arms the watchdog (fetch.TimeoutConn).
type armConn struct {
	net.Conn
	mu    sync.Mutex
	armed bool
	arms  int // Arm(true) calls
}

func (c *armConn) SetTimeout(time.Duration) {}

func (c *armConn) Arm(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = on
	if on {
		c.arms++
	}
}

func (c *armConn) state() (armed bool, arms int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.armed, c.arms
}

func (ms *memServer) watch(t *testing.T, folder string, reissue time.Duration) (*Watcher, *armConn) {
	t.Helper()
	raw, err := net.Dial("tcp", ms.addr)
	if err != nil {
		t.Fatal(err)
	}
	conn := &armConn{Conn: raw}
	src, err := New(context.Background(), conn, Options{StartTLS: ms.tls, User: "alex",
		Password: func(context.Context) (string, error) { return "secret", nil }})
	if err != nil {
		t.Fatal(err)
	}
	w, err := src.Watch(context.Background(), folder, WatchOptions{Reissue: reissue})
	if err != nil {
		src.Close()
		t.Fatal(err)
	}
	return w, conn
}

// waitMail fails the test unless the watcher reports mail within a generous bound.
func waitMail(t *testing.T, w *Watcher) {
	t.Helper()
	select {
	case <-w.Mail():
	case <-w.Done():
		t.Fatalf("watch ended instead of reporting mail: %v", w.Err())
	case <-time.After(20 * time.Second):
		t.Fatal("no new-mail notification within 20s")
	}
}

func noMail(t *testing.T, w *Watcher, wait time.Duration) {
	t.Helper()
	select {
	case <-w.Mail():
		t.Fatal("new-mail notification without new mail")
	case <-time.After(wait):
	}
}

func TestWatchReportsNewMail(t *testing.T) {
	ms := startServer(t, true, nil)
	ms.append(t, "INBOX", "Subject: old\r\n\r\nold\r\n")
	w, conn := ms.watch(t, "INBOX", 0)
	noMail(t, w, 200*time.Millisecond)
	if armed, _ := conn.state(); armed {
		t.Fatal("the watchdog is armed during IDLE: a quiet folder would look like a dead server")
	}
	ms.append(t, "INBOX", "Subject: new\r\n\r\nnew\r\n")
	waitMail(t, w)
	ms.append(t, "INBOX", "Subject: newer\r\n\r\nnewer\r\n")
	waitMail(t, w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Err() != nil {
		t.Fatalf("Err after Close = %v, want nil", w.Err())
	}
}

// TestWatchReissue: IDLE is ended and issued again on time, with the watchdog armed
// around DONE and NOOP, and notifications keep coming afterwards.
func TestWatchReissue(t *testing.T) {
	ms := startServer(t, true, nil)
	w, conn := ms.watch(t, "INBOX", 100*time.Millisecond)
	defer w.Close()
	_, before := conn.state()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, arms := conn.state()
		if arms >= before+6 { // two renewals: DONE, NOOP, IDLE each
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("IDLE was not re-issued: %d arms in 20s", arms-before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ms.append(t, "INBOX", "Subject: after renewal\r\n\r\nx\r\n")
	waitMail(t, w)
}

func TestWatchWithoutIdle(t *testing.T) {
	src, err := New(context.Background(), rev1Server(t), Options{PlaintextOK: true, User: "alex",
		Password: func(context.Context) (string, error) { return "secret", nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.CanIdle() {
		t.Fatal("CanIdle = true for a server without IDLE")
	}
	_, err = src.Watch(context.Background(), "INBOX", WatchOptions{})
	if !errors.Is(err, ErrNoIdle) || fail.KindOf(err) != fail.Config {
		t.Fatalf("Watch without IDLE = %v (kind %v), want ErrNoIdle", err, fail.KindOf(err))
	}
	if _, err := src.Open(context.Background(), "INBOX"); err != nil {
		t.Fatalf("session unusable after a refused Watch: %v", err)
	}
}

// rev1Server is a scripted IMAP4rev1 server without IDLE (go-imap's server always
// offers it): LOGIN, SELECT/EXAMINE of an empty INBOX, LOGOUT.
func rev1Server(t *testing.T) net.Conn {
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	go func() {
		r := bufio.NewReader(server)
		say := func(s string) { server.Write([]byte(s + "\r\n")) }
		say("* OK [CAPABILITY IMAP4rev1] ready")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			switch tag, cmd := f[0], strings.ToUpper(f[1]); cmd {
			case "CAPABILITY":
				say("* CAPABILITY IMAP4rev1")
				say(tag + " OK done")
			case "SELECT", "EXAMINE":
				say("* 0 EXISTS")
				say("* OK [UIDVALIDITY 7] ok")
				say("* OK [UIDNEXT 1] ok")
				say(tag + " OK [READ-ONLY] done")
			case "LOGOUT":
				say("* BYE bye")
				say(tag + " OK done")
				return
			default:
				say(tag + " OK done")
			}
		}
	}()
	return client
}

func TestWatchMissingFolder(t *testing.T) {
	ms := startServer(t, true, nil)
	src, err := ms.dial(t, Options{StartTLS: ms.tls})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Watch(context.Background(), "Nope", WatchOptions{}); fail.KindOf(err) != fail.Config {
		t.Fatalf("Watch of a missing folder = %v (kind %v), want fail.Config", err, fail.KindOf(err))
	}
}

// TestWatchConnectionLost: a connection that dies during IDLE ends the watch with a
// temporary error, promptly.
func TestWatchConnectionLost(t *testing.T) {
	ms := startServer(t, true, nil)
	w, conn := ms.watch(t, "INBOX", 0)
	conn.Conn.Close()
	select {
	case <-w.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the watch did not notice the dead connection")
	}
	if err := w.Err(); fail.KindOf(err) != fail.Temporary {
		t.Fatalf("Err = %v (kind %v), want a temporary failure", err, fail.KindOf(err))
	}
	w.Close()
}

func TestWatchAbort(t *testing.T) {
	ms := startServer(t, true, nil)
	w, _ := ms.watch(t, "INBOX", 0)
	done := make(chan struct{})
	go func() { w.Abort(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Abort hangs")
	}
}

// TestExpungeIsNotNewMail: the EXISTS count falling after an expunge, and coming back
// to where it was, is not new mail; a count above it is.
func TestExpungeIsNotNewMail(t *testing.T) {
	var st idleState
	w := &Watcher{mail: make(chan struct{}, 1)}
	st.watcher.Store(w)
	st.count.Store(3)
	st.expunged()
	st.exists(2)
	st.exists(2)
	select {
	case <-w.mail:
		t.Fatal("an expunge was reported as new mail")
	default:
	}
	st.exists(3)
	select {
	case <-w.mail:
	default:
		t.Fatal("a message after an expunge was not reported")
	}
	st.count.Store(0)
	st.expunged()
	if st.count.Load() != 0 {
		t.Fatal("an expunge below zero wrapped around")
	}
}
