// Package fakenet is the plumbing the fake mail servers of package testlib share
// (fakeimap, fakepop3): a loopback listener that serves each connection on its own
// goroutine and, when the test ends, closes the listener and every connection and
// waits for the goroutines; and a writer that cuts a connection after n bytes.
package fakenet

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"testing"
)

// Listener accepts connections on 127.0.0.1:0.
type Listener struct {
	ln    net.Listener
	tls   *tls.Config
	done  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
	count int
}

// Listen opens the listener; with implicitTLS set, every connection is a TLS server
// session. Nothing is accepted until Serve. The listener is closed when tb ends.
func Listen(tb testing.TB, implicitTLS *tls.Config) *Listener {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("fake server: listen: %v", err)
	}
	l := &Listener{ln: ln, tls: implicitTLS, done: make(chan struct{}), conns: map[net.Conn]bool{}}
	tb.Cleanup(l.Close)
	return l
}

// Serve accepts connections and runs serve for each, with the session number (1 for
// the first); the connection is closed when serve returns.
func (l *Listener) Serve(serve func(conn net.Conn, id int)) {
	l.wg.Add(1)
	go l.accept(serve)
}

func (l *Listener) accept(serve func(net.Conn, int)) {
	defer l.wg.Done()
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		l.count++
		id := l.count
		l.conns[conn] = true
		l.mu.Unlock()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer l.forget(conn)
			if l.tls != nil {
				conn = tls.Server(conn, l.tls)
			}
			serve(conn, id)
		}()
	}
}

func (l *Listener) forget(conn net.Conn) {
	l.mu.Lock()
	delete(l.conns, conn)
	l.mu.Unlock()
	conn.Close()
}

// Addr is the listener's host:port.
func (l *Listener) Addr() string { return l.ln.Addr().String() }

// Port is the listener's TCP port.
func (l *Listener) Port() int { return l.ln.Addr().(*net.TCPAddr).Port }

// Done is closed when the listener is closed: a stalling session waits on it.
func (l *Listener) Done() <-chan struct{} { return l.done }

// Sessions is the number of connections accepted so far.
func (l *Listener) Sessions() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count
}

// Close closes the listener and every connection, ends stalls and waits for all
// goroutines. It is safe to call more than once.
func (l *Listener) Close() {
	l.mu.Lock()
	select {
	case <-l.done:
		l.mu.Unlock()
		return
	default:
	}
	close(l.done)
	l.ln.Close()
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// ErrCut is returned by a Cutter's Write once it has cut the connection.
var ErrCut = errors.New("fake server: connection cut")

// Cutter writes to Conn and closes it after Left bytes (Left < 0: no limit), so that a
// reply can be cut at any byte.
type Cutter struct {
	Conn net.Conn
	Left int
}

func (c *Cutter) Write(p []byte) (int, error) {
	if c.Left < 0 || len(p) <= c.Left {
		if c.Left >= 0 {
			c.Left -= len(p)
		}
		return c.Conn.Write(p)
	}
	n, _ := c.Conn.Write(p[:c.Left])
	c.Conn.Close()
	return n, ErrCut
}
