package pop3

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

func TestGreetingTimeoutBoundsATricklingServer(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	go testlib.Trickle(server, "+OK "+strings.Repeat("slow ", 1000)+"\r\n", 20*time.Millisecond)
	start := time.Now()
	_, err := New(client, Options{GreetingTimeout: 300 * time.Millisecond})
	if fail.KindOf(err) != fail.Temporary || !strings.Contains(err.Error(), "within 300ms") {
		t.Fatalf("New = %v (kind %v), want a Temporary error naming the bound", err, fail.KindOf(err))
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("New returned after %s", d)
	}
}
