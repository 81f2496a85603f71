package tunnel

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// writeChunk bounds how much one underlying Write may carry, so that a large Write that
// trickles out still counts as progress after each chunk.
const writeChunk = 64 << 10

// Conn is a connection to a mail server with an inactivity watchdog. It implements
// fetch.TimeoutConn: a Read or Write that makes no progress for the timeout closes the
// transport underneath (a TCP socket, an SSH channel, a command's pipes) and fails with
// an error classified fail.Temporary.
//
// The watchdog costs two clock reads and a few atomic operations per call: one timer per
// Conn is re-armed only when it fires, never per Read.
//
// SetDeadline, SetReadDeadline and SetWriteDeadline are accepted and ignored. The watchdog
// replaces them: go-imap sets one absolute 5-minute deadline for a whole literal, which
// would make any message that takes longer to arrive unfetchable however steadily it
// flows, and SSH channels have no deadlines at all.
type Conn struct {
	c       net.Conn // the stream: the transport or a TLS session on it
	raw     net.Conn // the transport; closing it unblocks every call
	server  string   // for error text
	base    time.Time
	linkErr func() error // why the SSH link under the transport died, or nil

	timeout atomic.Int64 // nanoseconds; 0 = off
	armed   atomic.Bool
	running atomic.Bool // the timer is scheduled
	expired atomic.Int32
	rd, wr  direction
	timer   *time.Timer

	transport  string // "SSH tunnel via home", "tunnel command ssh", "" when direct
	protection atomic.Pointer[string]
	closeOnce  sync.Once
	closeErr   error
}

// direction tracks the calls in flight on one side of the stream.
type direction struct {
	inflight atomic.Int32
	since    atomic.Int64 // nanoseconds after base when the last call began
}

const (
	expiredRead  = 1
	expiredWrite = 2
)

// newConn wraps stream (raw, or TLS on raw) for the named server.
func newConn(stream, raw net.Conn, server string, timeout time.Duration) *Conn {
	c := &Conn{c: stream, raw: raw, server: server, base: time.Now()}
	c.timeout.Store(int64(timeout))
	c.armed.Store(true)
	c.timer = time.AfterFunc(time.Hour, c.tick)
	c.timer.Stop()
	return c
}

// ConnectionState returns the state of an implicit TLS session (port 993/995), or the
// zero state, whose HandshakeComplete is false, when the stream is not TLS here. It
// lets protocol clients see that their stream is protected.
func (c *Conn) ConnectionState() tls.ConnectionState {
	if tc, ok := c.c.(*tls.Conn); ok {
		return tc.ConnectionState()
	}
	return tls.ConnectionState{}
}

// SetTimeout sets the inactivity timeout; 0 disables it.
func (c *Conn) SetTimeout(d time.Duration) {
	c.timeout.Store(int64(max(d, 0)))
	c.reschedule()
}

// Arm turns the timeout on or off without forgetting it. Calls in flight when it is
// turned on get the full timeout from that moment.
func (c *Conn) Arm(on bool) {
	if on {
		now := c.now()
		c.rd.since.Store(now)
		c.wr.since.Store(now)
	}
	c.armed.Store(on)
	c.reschedule()
}

// Describe says how the stream is protected, for logs and the Received header:
// "TLS1.3", "STARTTLS TLS1.3", "TLS1.3 over SSH tunnel via home", "SSH tunnel via home",
// "tunnel command ssh", "plaintext".
func (c *Conn) Describe() string {
	var prot string
	if p := c.protection.Load(); p != nil {
		prot = *p
	}
	switch {
	case prot == "" && c.transport == "":
		return "plaintext"
	case prot == "":
		return c.transport
	case c.transport == "":
		return prot
	}
	return prot + " over " + c.transport
}

// SetSecurity records how the stream itself is protected, e.g. "STARTTLS TLS1.3" after
// STARTTLS; Describe adds the transport ("over SSH tunnel via home").
func (c *Conn) SetSecurity(s string) { c.protection.Store(&s) }

// StartedTLS records that STARTTLS succeeded on this connection.
func (c *Conn) StartedTLS(cs tls.ConnectionState) {
	c.SetSecurity("STARTTLS " + TLSVersion(cs.Version))
}

func (c *Conn) Read(p []byte) (int, error) {
	c.begin(&c.rd)
	n, err := c.c.Read(p)
	c.rd.inflight.Add(-1)
	if err != nil {
		err = c.explain(err)
	}
	return n, err
}

func (c *Conn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		chunk := p[done:min(len(p), done+writeChunk)]
		c.begin(&c.wr)
		n, err := c.c.Write(chunk)
		c.wr.inflight.Add(-1)
		done += n
		if err != nil {
			return done, c.explain(err)
		}
	}
	return done, nil
}

// Close closes the stream. A TLS session sends its close_notify first; if the peer
// does not take it within the timeout, the transport is closed anyway.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.timer.Stop()
		limit := time.Duration(c.timeout.Load())
		if limit <= 0 || limit > 5*time.Second {
			limit = 5 * time.Second
		}
		guard := time.AfterFunc(limit, func() { c.raw.Close() })
		c.closeErr = c.c.Close()
		guard.Stop()
		if c.raw != c.c {
			c.raw.Close()
		}
	})
	return c.closeErr
}

// LocalAddr returns the local address of the transport.
func (c *Conn) LocalAddr() net.Addr { return c.c.LocalAddr() }

// RemoteAddr returns the remote address of the transport (zero for an SSH channel).
func (c *Conn) RemoteAddr() net.Addr { return c.c.RemoteAddr() }

// SetDeadline is ignored; see the type's documentation.
func (c *Conn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline is ignored; see the type's documentation.
func (c *Conn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline is ignored; see the type's documentation.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }

func (c *Conn) now() int64 { return int64(time.Since(c.base)) }

// begin marks a call in flight and makes sure the timer watches it.
func (c *Conn) begin(d *direction) {
	d.since.Store(c.now())
	d.inflight.Add(1)
	if !c.running.Load() {
		c.kick()
	}
}

// kick schedules the timer if something needs watching and it is not scheduled yet.
// The timer clears running before it looks at the calls in flight, and begin adds its
// call before it looks at running, so one of the two always sees the other.
func (c *Conn) kick() {
	wait, ok := c.due()
	if ok && c.running.CompareAndSwap(false, true) {
		c.timer.Reset(wait)
	}
}

// reschedule moves the timer to the new due time after the timeout changed: a timer set
// for an hour must not make a new one-second timeout wait an hour.
func (c *Conn) reschedule() {
	if wait, ok := c.due(); ok {
		c.running.Store(true)
		c.timer.Reset(wait)
	}
}

// due says how long until the oldest watched call in flight times out.
func (c *Conn) due() (time.Duration, bool) {
	limit := c.timeout.Load()
	if limit <= 0 || !c.armed.Load() || c.expired.Load() != 0 {
		return 0, false
	}
	now, wait, ok := c.now(), limit, false
	for _, d := range []*direction{&c.rd, &c.wr} {
		if d.inflight.Load() > 0 {
			wait, ok = min(wait, limit-(now-d.since.Load())), true
		}
	}
	return time.Duration(max(wait, 0)), ok
}

// tick runs when the timer fires: it closes the transport if a call in flight made no
// progress for the whole timeout, and otherwise schedules itself for the next check.
func (c *Conn) tick() {
	c.running.Store(false)
	wait, ok := c.due()
	if !ok {
		return
	}
	if wait > 0 {
		c.kick()
		return
	}
	var which int32 = expiredRead
	if c.wr.inflight.Load() > 0 && c.now()-c.wr.since.Load() >= c.timeout.Load() {
		which = expiredWrite
	}
	c.expired.Store(which)
	c.raw.Close()
}

// explain turns the error of a call that the watchdog or a dead SSH link ended into
// one that says so.
func (c *Conn) explain(err error) error {
	switch c.expired.Load() {
	case expiredRead:
		return fail.Wrap(fail.Temporary, &TimeoutError{Server: c.server, After: time.Duration(c.timeout.Load())})
	case expiredWrite:
		return fail.Wrap(fail.Temporary, &TimeoutError{Server: c.server, After: time.Duration(c.timeout.Load()), Write: true})
	}
	if c.linkErr != nil {
		if lerr := c.linkErr(); lerr != nil {
			return fmt.Errorf("connection to %s lost: %w", c.server, lerr)
		}
	}
	return err
}

// TimeoutError is the error of a Read or Write that the watchdog ended.
type TimeoutError struct {
	Server string
	After  time.Duration
	Write  bool // the server stopped accepting data, rather than sending it
}

func (e *TimeoutError) Error() string {
	if e.Write {
		return fmt.Sprintf("%s accepted no data for %s", e.Server, seconds(e.After))
	}
	return fmt.Sprintf("no data from %s for %s", e.Server, seconds(e.After))
}

// Timeout reports true, as net.Error asks.
func (e *TimeoutError) Timeout() bool { return true }

// Temporary reports true; net.Error still asks for it.
func (e *TimeoutError) Temporary() bool { return true }

var _ net.Error = (*TimeoutError)(nil)

// seconds prints a duration the way users write it in the config: "60s", not "1m0s".
func seconds(d time.Duration) string {
	if d >= time.Second && d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// IsTimeout reports whether err comes from the watchdog.
func IsTimeout(err error) bool {
	var te *TimeoutError
	return errors.As(err, &te)
}
