package imap

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

func TestGreetingTimeoutBoundsATricklingServer(t *testing.T) {
	for _, starttls := range []*tls.Config{nil, {ServerName: "127.0.0.1"}} {
		client, server := net.Pipe()
		go testlib.Trickle(server, "* OK "+strings.Repeat("slow ", 1000)+"\r\n", 20*time.Millisecond)
		_, err := New(context.Background(), client, Options{StartTLS: starttls, PlaintextOK: true,
			GreetingTimeout: 300 * time.Millisecond})
		server.Close()
		if fail.KindOf(err) != fail.Temporary || !strings.Contains(err.Error(), "within 300ms") {
			t.Fatalf("STARTTLS %v: New = %v (kind %v), want a Temporary error naming the bound",
				starttls != nil, err, fail.KindOf(err))
		}
	}
}
