package testlib

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// RequireEnv names the environment variable that turns a missing server binary from a
// skip into a failure. CI sets it to 1 so that real-server tests cannot silently stop
// running.
const RequireEnv = "FETCHSECURE_REQUIRE_SERVERS"

// sbinDirs are searched after PATH: an ordinary user's PATH often lacks them, and that
// is where dovecot and sshd live.
var sbinDirs = []string{"/usr/sbin", "/usr/local/sbin", "/sbin"}

// RequireServer returns the path of the server program binary, looked up in PATH and
// then in the sbin directories. If it is missing the test fails when
// FETCHSECURE_REQUIRE_SERVERS=1 and is skipped otherwise, with the reason either way.
func RequireServer(t testing.TB, binary string) string {
	t.Helper()
	if p, err := exec.LookPath(binary); err == nil {
		return p
	}
	for _, dir := range sbinDirs {
		p := filepath.Join(dir, binary)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	missing(t, binary+" not found in PATH or "+strings.Join(sbinDirs, ", "))
	return ""
}

// missing skips or fails the test, as RequireEnv says, because something is not there.
func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s, and %s=1 requires it", what, RequireEnv)
	}
	t.Skipf("%s (set %s=1 to make this a failure)", what, RequireEnv)
}

// LoopbackPort returns a TCP port on 127.0.0.1 that was free a moment ago. Another
// process may take it before the caller binds it: callers that start servers should
// retry once on "address already in use", as [StartDovecot] does.
func LoopbackPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// loopbackPorts returns n distinct free ports, holding all of them open until the end
// so that the kernel cannot hand out one twice.
func loopbackPorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free loopback port: %v", err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// Addr joins the loopback address and port.
func Addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
