package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// cronWorld is a world whose runs get their own HOME and a session without D-Bus or a
// display, as under cron.
type cronWorld struct {
	*world
	home string
	env  []string
}

func newCronWorld(t *testing.T) *cronWorld {
	w := &cronWorld{world: newWorld(t)}
	w.home = filepath.Join(w.dir, "home")
	if err := os.MkdirAll(w.home, 0o700); err != nil {
		t.Fatal(err)
	}
	w.env = []string{"HOME=" + w.home, "DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR=" + w.home,
		"DISPLAY=", "WAYLAND_DISPLAY=", "XDG_CONFIG_HOME=", "XDG_STATE_HOME="}
	return w
}

// runWith runs `fetchsecure ARGS -c CONFIG` with the world's environment and stdin.
func (w *cronWorld) runWith(stdin string, args ...string) *testlib.Result {
	w.t.Helper()
	cmd := exec.Command(w.bin, append(args, "-c", w.config)...)
	cmd.Env = append(os.Environ(), w.env...)
	cmd.Stdin = strings.NewReader(stdin)
	return testlib.RunCommand(w.t, cmd, testlib.RunTimeout)
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// With no password source, ~/.netrc is used (machine = host, login = user), as
// fetchmail does; a netrc that others can read is refused.
func TestNetrcPassword(t *testing.T) {
	w := newCronWorld(t)
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: netrc\r\n\r\nbody\r\n"))
	w.writeConfig(noPassword(w.imapAccount("work")))
	netrc := filepath.Join(w.home, ".netrc")
	writeFile(t, netrc, "# mail\nmachine other.example login alex password wrong\n"+
		"machine 127.0.0.1\n  login alex\n  password \""+password+"\"\ndefault login alex password wrong\n", 0o644)

	r := w.runWith("", "--once")
	if r.Code != 4 || !strings.Contains(string(r.Stderr), netrc+" has mode 0644") ||
		!strings.Contains(string(r.Stderr), "chmod 600 "+netrc) {
		t.Fatalf("exposed netrc: exit %d\n%s", r.Code, r.Stderr)
	}
	os.Chmod(netrc, 0o600)
	r = w.runWith("", "--once")
	if r.Code != 0 || len(w.delivered()) != 1 {
		t.Fatalf("netrc run: exit %d, %d delivered\n%s%s", r.Code, len(w.delivered()), r.Stdout, r.Stderr)
	}
}

// noPassword removes the password line from an account table.
func noPassword(table string) string {
	var out []string
	for _, l := range strings.Split(table, "\n") {
		if !strings.HasPrefix(l, "password = ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Under cron a missing password is a configuration error that names the account and
// says how to give it one; nothing is sent to the server.
func TestMissingPasswordUnderCron(t *testing.T) {
	w := newCronWorld(t)
	w.writeConfig(noPassword(w.imapAccount("work")), noPassword(w.imapAccount("home", "password_netrc = false")))
	r := w.runWith("", "--once")
	out := string(r.Stderr)
	for _, want := range []string{"account work: no password source is configured",
		"account home: no password source is configured",
		"hint: set password_command or password_file; or set password_keyring = true and run `fetchsecure password set work`",
		"~/.netrc", "run fetchsecure on a terminal to be asked"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if r.Code != 3 {
		t.Errorf("exit %d, want 3 (configuration)\n%s", r.Code, out)
	}
}

// Without a desktop session there is no keyring: `password set` and the fetch say so
// at once, and no D-Bus daemon is started behind the user's back.
func TestKeyringUnavailable(t *testing.T) {
	w := newCronWorld(t)
	w.writeConfig(noPassword(w.imapAccount("work", "password_keyring = true")))
	before := countProcesses(t, "dbus-daemon")
	start := time.Now()
	r := w.runWith(password+"\n", "password", "set", "work", "--stdin")
	if r.Code != 5 || !strings.Contains(string(r.Stderr), "no D-Bus session bus") ||
		!strings.Contains(string(r.Stderr), "password_file or password_command") {
		t.Errorf("password set: exit %d\n%s", r.Code, r.Stderr)
	}
	r = w.runWith("", "--once")
	if r.Code != 5 || !strings.Contains(string(r.Stderr), `account work: read the keyring (service "fetchsecure", key "work")`) {
		t.Errorf("fetch: exit %d\n%s", r.Code, r.Stderr)
	}
	if time.Since(start) > time.Minute || countProcesses(t, "dbus-daemon") > before {
		t.Errorf("took %v; dbus-daemon processes %d → %d", time.Since(start), before, countProcesses(t, "dbus-daemon"))
	}
}

// countProcesses counts the processes whose command name is name.
func countProcesses(t *testing.T, name string) int {
	dirs, _ := filepath.Glob("/proc/[0-9]*/comm")
	n := 0
	for _, d := range dirs {
		if b, err := os.ReadFile(d); err == nil && strings.TrimSpace(string(b)) == name {
			n++
		}
	}
	return n
}

// On a terminal, a password stored nowhere is asked for, without echo. The terminal
// is a pseudo-terminal from script(1); the password is typed only once the prompt is
// shown, as a person would.
func TestPromptOnTerminal(t *testing.T) {
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) (util-linux) is not installed")
	}
	w := newCronWorld(t)
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: asked\r\n\r\nbody\r\n"))
	w.writeConfig(noPassword(w.imapAccount("work")))
	cmd := exec.Command(scriptBin, "-qfec", w.bin+" --once -c "+w.config, "/dev/null")
	cmd.Env = append(os.Environ(), w.env...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	transcript := make(chan string, 1)
	go func() {
		var seen strings.Builder
		buf := make([]byte, 4096)
		typed := false
		for {
			n, err := out.Read(buf)
			seen.Write(buf[:n])
			if !typed && strings.Contains(seen.String(), "Password for alex@127.0.0.1 (account work): ") {
				time.Sleep(time.Second) // the prompt comes just before echo is turned off
				in.Write([]byte(password + "\r"))
				typed = true
			}
			if err != nil {
				transcript <- seen.String()
				return
			}
		}
	}()
	var got string
	select {
	case got = <-transcript:
	case <-time.After(time.Minute):
		t.Fatal("no end of the session within a minute")
	}
	if err := cmd.Wait(); err != nil || len(w.delivered()) != 1 || strings.Contains(got, password) {
		t.Errorf("exit %v, %d delivered; terminal showed:\n%s", err, len(w.delivered()), got)
	}
}
