package pop3

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// trickle writes s one byte at a time, each after d, until the connection is closed:
// a server too slow to finish but never silent long enough for an inactivity timeout.
func trickle(conn net.Conn, s string, d time.Duration) {
	for i := 0; i < len(s); i++ {
		time.Sleep(d)
		if _, err := conn.Write([]byte{s[i]}); err != nil {
			return
		}
	}
}

func TestGreetingTimeoutBoundsATricklingServer(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	go trickle(server, "+OK "+strings.Repeat("slow ", 1000)+"\r\n", 20*time.Millisecond)
	start := time.Now()
	_, err := New(client, Options{GreetingTimeout: 300 * time.Millisecond})
	if fail.KindOf(err) != fail.Temporary || !strings.Contains(err.Error(), "within 300ms") {
		t.Fatalf("New = %v (kind %v), want a Temporary error naming the bound", err, fail.KindOf(err))
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("New returned after %s", d)
	}
}
