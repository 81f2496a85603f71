package testlib

import (
	"net"
	"time"
)

// Trickle writes s to conn one byte at a time, each after d, until it is written or
// the connection fails: a server too slow ever to finish, yet never silent long
// enough for an inactivity timeout (fetchmail CVE-2011-1947 hung on such a server).
func Trickle(conn net.Conn, s string, d time.Duration) {
	for i := 0; i < len(s); i++ {
		time.Sleep(d)
		if _, err := conn.Write([]byte{s[i]}); err != nil {
			return
		}
	}
}
