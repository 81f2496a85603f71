package interop

import (
	"net"
	"os"
	"sync"
	"testing"
)

// syslogSink receives what the server logs through syslog(3): the namespace's
// /dev/log is a symbolic link to its socket. (A socket created in an overlay's upper
// layer cannot be connected to through the overlay, hence the link to a path outside.)
type syslogSink struct {
	conn *net.UnixConn
	out  *os.File
	done sync.WaitGroup
}

func startSyslog(t testing.TB, sock, file string) *syslogSink {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatalf("syslog socket: %v", err)
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s := &syslogSink{conn: conn, out: out}
	s.done.Add(1)
	go s.run()
	return s
}

func (s *syslogSink) run() {
	defer s.done.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			return
		}
		line := buf[:n]
		if n > 0 && line[n-1] != '\n' {
			line = append(line, '\n')
		}
		_, _ = s.out.Write(line)
	}
}

func (s *syslogSink) close() {
	s.conn.Close()
	s.done.Wait()
	s.out.Close()
}
