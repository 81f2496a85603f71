package tunnel

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

func dialCommand(t *testing.T, argv ...string) (*Conn, error) {
	t.Helper()
	d := &Dialer{}
	defer d.Close()
	c, err := d.Dial(ctx(t), Endpoint{Host: "imap.example.test", Port: 143, Mode: ModeNone, Command: argv,
		Timeout: 10 * time.Second})
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func TestCommandTunnel(t *testing.T) {
	checkLeaks(t)
	c, err := dialCommand(t, "cat")
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "through cat")
	if got := c.Describe(); got != "tunnel command cat" {
		t.Errorf("Describe = %q", got)
	}
	pid := c.raw.(*cmdConn).cmd.Process.Pid
	c.Close()
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("command %d still running after Close", pid)
	}
}

// TestCommandNoShell: the argv is run as it is; shell syntax stays literal.
func TestCommandNoShell(t *testing.T) {
	checkLeaks(t)
	c, err := dialCommand(t, "echo", "$HOME", ";", "id")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	if got := string(buf[:n]); got != "$HOME ; id\n" {
		t.Errorf("read %q", got)
	}
}

// TestCommandFails: a command that dies says why, with the end of its stderr.
func TestCommandFails(t *testing.T) {
	checkLeaks(t)
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	c, err := dialCommand(t, sh, "-c", "echo first >&2; echo 'ssh: connect to host x port 22: Connection refused' >&2; exit 255")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Read(make([]byte, 1))
	wantKind(t, err, fail.Temporary, "tunnel command sh", "exit status 255", "first | ssh: connect to host x port 22: Connection refused")

	_, err = dialCommand(t, "/no/such/program")
	wantKind(t, err, fail.Config, "no such file")
}

// TestCommandStall: the watchdog kills a command that stops talking.
func TestCommandStall(t *testing.T) {
	checkLeaks(t)
	c, err := dialCommand(t, "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(200 * time.Millisecond)
	var rerr error
	within(t, 10*time.Second, "a Read from a silent command", func() { _, rerr = c.Read(make([]byte, 1)) })
	wantKind(t, rerr, fail.Temporary, "no data from imap.example.test for 200ms")
	pid := c.raw.(*cmdConn).cmd.Process.Pid
	c.Close()
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if !strings.Contains(string(stat), ") Z ") {
			t.Errorf("command still running: %s", stat)
		}
	}
}
