package tunnel

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// checkLeaks fails the test if goroutines started during it are still running when it
// ends. Call it first, so that its cleanup runs after every other.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("goroutines leaked: %d before, %d after\n%s", before, runtime.NumGoroutine(),
					buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// isolate keeps the user's real keys, agent and known_hosts out of a test.
func isolate(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	return home
}

// ctx is a context that bounds a whole test step.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// server is a TCP listener on 127.0.0.1 running handle for every connection; it closes
// them all when the test ends.
type server struct {
	l     net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
	count int
}

func serve(t testing.TB, handle func(net.Conn)) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{l: l}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.count++
			s.mu.Unlock()
			s.wg.Add(1)
			go func() { defer s.wg.Done(); handle(c) }()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *server) addr() string { return s.l.Addr().String() }
func (s *server) port() int    { return s.l.Addr().(*net.TCPAddr).Port }

func (s *server) accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// dropAll closes every connection accepted so far.
func (s *server) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

func (s *server) close() {
	s.l.Close()
	s.dropAll()
	s.wg.Wait()
}

// echo copies back what it reads.
func echo(c net.Conn) { io.Copy(c, c); c.Close() }

// deafServer accepts connections and neither reads nor writes until the test ends.
func deafServer(t *testing.T) *server {
	quit := make(chan struct{})
	s := serve(t, func(c net.Conn) { <-quit; c.Close() })
	t.Cleanup(func() { close(quit) }) // runs before the server's own cleanup
	return s
}

// roundTrip writes msg to c and reads it back from an echo server.
func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read: %v", err)
	}
	if string(buf) != msg {
		t.Fatalf("echo = %q, want %q", buf, msg)
	}
}

// wantKind checks an error's kind and that its text holds every one of words.
func wantKind(t *testing.T, err error, kind fail.Kind, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", kind)
	}
	if got := fail.KindOf(err); got != kind {
		t.Errorf("kind = %v, want %v; err = %v", got, kind, err)
	}
	text := err.Error() + " | hint: " + fail.HintOf(err)
	t.Logf("%v: %s", kind, text)
	for _, w := range words {
		if !strings.Contains(text, w) {
			t.Errorf("error %q lacks %q", text, w)
		}
	}
}

// within fails the test if f does not return within d.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %s", what, d)
	}
}

func tempFile(t testing.TB, name string) string { return filepath.Join(t.TempDir(), name) }
