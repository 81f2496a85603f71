package fakenet

import (
	"io"
	"net"
	"testing"
)

func TestServeCutClose(t *testing.T) {
	l := Listen(t, nil)
	l.Serve(func(conn net.Conn, id int) {
		c := &Cutter{Conn: conn, Left: 3}
		c.Write([]byte("ab"))
		if _, err := c.Write([]byte("cdef")); err != ErrCut {
			t.Errorf("write past the cut: %v", err)
		}
		<-l.Done()
	})
	conn, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got, _ := io.ReadAll(conn)
	if string(got) != "abc" || l.Sessions() != 1 {
		t.Fatalf("read %q, sessions %d", got, l.Sessions())
	}
	l.Close() // ends the session waiting on Done
	l.Close()
}
