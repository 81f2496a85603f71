package imap

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// trickle writes s one byte at a time, each after d, until the connection is closed:
// a server too slow to finish but never silent long enough for an inactivity timeout
// (fetchmail CVE-2011-1947 hung on STARTTLS for a week).
func trickle(conn net.Conn, s string, d time.Duration) {
	for i := 0; i < len(s); i++ {
		time.Sleep(d)
		if _, err := conn.Write([]byte{s[i]}); err != nil {
			return
		}
	}
}

func TestGreetingTimeoutBoundsATricklingServer(t *testing.T) {
	for _, starttls := range []*tls.Config{nil, {ServerName: "127.0.0.1"}} {
		client, server := net.Pipe()
		go trickle(server, "* OK "+strings.Repeat("slow ", 1000)+"\r\n", 20*time.Millisecond)
		_, err := New(context.Background(), client, Options{StartTLS: starttls, PlaintextOK: true,
			GreetingTimeout: 300 * time.Millisecond})
		server.Close()
		if fail.KindOf(err) != fail.Temporary || !strings.Contains(err.Error(), "within 300ms") {
			t.Fatalf("STARTTLS %v: New = %v (kind %v), want a Temporary error naming the bound",
				starttls != nil, err, fail.KindOf(err))
		}
	}
}
