package tunnel

import (
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

var _ fetch.TimeoutConn = (*Conn)(nil)

func dialPlain(t *testing.T, addr string, timeout time.Duration) *Conn {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	d := &Dialer{}
	t.Cleanup(func() { d.Close() })
	c, err := d.Dial(ctx(t), Endpoint{Host: host, Port: p, Mode: ModeNone, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestWatchdogRead(t *testing.T) {
	checkLeaks(t)
	s := deafServer(t)
	c := dialPlain(t, s.addr(), 200*time.Millisecond)
	var err error
	within(t, 10*time.Second, "a Read from a silent server", func() { _, err = c.Read(make([]byte, 10)) })
	wantKind(t, err, fail.Temporary, "no data from 127.0.0.1 for 200ms")
	if !IsTimeout(err) {
		t.Errorf("IsTimeout(%v) = false", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%v is not a net.Error timeout", err)
	}
}

func TestWatchdogWrite(t *testing.T) {
	checkLeaks(t)
	s := deafServer(t)
	c := dialPlain(t, s.addr(), 300*time.Millisecond)
	big := make([]byte, 1<<20)
	var err error
	within(t, 20*time.Second, "writing to a server that reads nothing", func() {
		for err == nil {
			_, err = c.Write(big)
		}
	})
	wantKind(t, err, fail.Temporary, "127.0.0.1 accepted no data for 300ms")
}

// TestWatchdogDisarmed: a connection waiting for nothing in particular (IMAP IDLE) is not
// a stalled one.
func TestWatchdogDisarmed(t *testing.T) {
	checkLeaks(t)
	s := deafServer(t)
	c := dialPlain(t, s.addr(), 100*time.Millisecond)
	c.Arm(false)
	res := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 1)); res <- err }()
	select {
	case err := <-res:
		t.Fatalf("disarmed Read ended: %v", err)
	case <-time.After(600 * time.Millisecond):
	}
	c.Arm(true)
	select {
	case err := <-res:
		wantKind(t, err, fail.Temporary, "no data from")
	case <-time.After(10 * time.Second):
		t.Fatal("re-armed Read still blocked")
	}
}

// TestWatchdogShortened: a shorter timeout applies to the call already in flight.
func TestWatchdogShortened(t *testing.T) {
	checkLeaks(t)
	s := deafServer(t)
	c := dialPlain(t, s.addr(), time.Hour)
	res := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 1)); res <- err }()
	time.Sleep(50 * time.Millisecond)
	c.SetTimeout(100 * time.Millisecond)
	select {
	case err := <-res:
		wantKind(t, err, fail.Temporary, "no data from 127.0.0.1 for 100ms")
	case <-time.After(10 * time.Second):
		t.Fatal("the shorter timeout did not apply")
	}
}

func TestWatchdogOff(t *testing.T) {
	checkLeaks(t)
	s := deafServer(t)
	c := dialPlain(t, s.addr(), 100*time.Millisecond)
	c.SetTimeout(0)
	res := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 1)); res <- err }()
	select {
	case err := <-res:
		t.Fatalf("Read without timeout ended: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	c.Close()
	if err := <-res; err == nil || IsTimeout(err) {
		t.Errorf("Read after Close: %v, want a plain closed error", err)
	}
}

// TestAbsoluteDeadlinesIgnored: go-imap sets one 5-minute read deadline for a whole
// literal; a slow but steady message must still arrive, so Conn ignores deadlines and
// times out on inactivity only.
func TestAbsoluteDeadlinesIgnored(t *testing.T) {
	checkLeaks(t)
	const n = 20
	s := serve(t, func(c net.Conn) {
		defer c.Close()
		for range n {
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	c := dialPlain(t, s.addr(), 2*time.Second)
	if err := c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	got, err := io.ReadAll(c)
	if err != nil || len(got) != n {
		t.Fatalf("read %d bytes, err %v; want %d bytes and EOF", len(got), err, n)
	}
}

// TestTrickleIsProgress: a stream slower than the timeout in total, but never silent for
// the timeout, is not cut.
func TestTrickleIsProgress(t *testing.T) {
	checkLeaks(t)
	s := serve(t, func(c net.Conn) {
		defer c.Close()
		for range 30 {
			c.Write([]byte(strings.Repeat("y", 100)))
			time.Sleep(60 * time.Millisecond)
		}
	})
	c := dialPlain(t, s.addr(), time.Second)
	got, err := io.ReadAll(c)
	if err != nil || len(got) != 3000 {
		t.Fatalf("read %d bytes, err %v", len(got), err)
	}
}

func TestDescribe(t *testing.T) {
	c := newConn(nil, nil, "x", time.Second)
	if got := c.Describe(); got != "plaintext" {
		t.Errorf("plain: %q", got)
	}
	c.transport = "SSH tunnel via home"
	if got := c.Describe(); got != "SSH tunnel via home" {
		t.Errorf("tunnel: %q", got)
	}
	c.SetSecurity("STARTTLS TLS1.3")
	if got := c.Describe(); got != "STARTTLS TLS1.3 over SSH tunnel via home" {
		t.Errorf("starttls over tunnel: %q", got)
	}
}

// instant is a conn whose Reads and Writes complete at once, to measure the watchdog.
type instant struct{ net.Conn }

func (instant) Read(p []byte) (int, error)  { return len(p), nil }
func (instant) Write(p []byte) (int, error) { return len(p), nil }
func (instant) Close() error                { return nil }

func BenchmarkConnRead(b *testing.B) {
	c := newConn(instant{}, instant{}, "x", time.Minute)
	defer c.Close()
	buf := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		c.Read(buf)
	}
}

func TestConnReadAllocs(t *testing.T) {
	c := newConn(instant{}, instant{}, "x", time.Minute)
	defer c.Close()
	buf := make([]byte, 4096)
	if n := testing.AllocsPerRun(1000, func() { c.Read(buf) }); n != 0 {
		t.Errorf("Read allocates %v times per call, want 0", n)
	}
}
