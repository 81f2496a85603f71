package tests

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/oauth/oauthtest"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

const oauthUser = "me@example.org"

// oauthWorld is a user with an OAuth2 provider and mail servers that take its tokens,
// all in this process: no Dovecot is needed.
type oauthWorld struct {
	t       *testing.T
	bin     string
	dir     string
	maildir string
	config  string
	ca      *testlib.CA
	idp     *oauthtest.Server
	env     []string
}

func newOAuthWorld(t *testing.T, opts oauthtest.Options) *oauthWorld {
	w := &oauthWorld{t: t, bin: testlib.BuildBinary(t, "./cmd/fetchsecure"), dir: t.TempDir(), ca: testlib.NewCA(t)}
	w.idp = oauthtest.Start(t, opts)
	w.maildir = filepath.Join(w.dir, "Maildir")
	w.config = filepath.Join(w.dir, "config.toml")
	w.env = []string{"HOME=" + w.dir, "DBUS_SESSION_BUS_ADDRESS=", "DISPLAY=", "WAYLAND_DISPLAY="}
	return w
}

// valid is what the mail servers ask about a login.
func (w *oauthWorld) valid(user, token string) bool { return user == oauthUser && w.idp.Valid(token) }

// account returns the account table for a mail server at addr.
func (w *oauthWorld) account(protocol, addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf(`state_dir = %q

[account.lab]
protocol = %q
host = %q
port = %s
ca_file = %q
user = %q
auth = "oauth2"
oauth_provider = "custom"
oauth_client_id = %q
oauth_auth_url = %q
oauth_device_url = %q
oauth_token_url = %q
maildir = %q
`, filepath.Join(w.dir, "state"), protocol, host, port, w.ca.File, oauthUser, w.idp.ClientID(),
		w.idp.AuthURL, w.idp.DeviceURL, w.idp.TokenURL, w.maildir)
}

func (w *oauthWorld) writeConfig(body string) {
	w.t.Helper()
	if err := os.WriteFile(w.config, []byte(body), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *oauthWorld) command(args ...string) *exec.Cmd {
	cmd := exec.Command(w.bin, append(args, "-c", w.config)...)
	cmd.Env = append(os.Environ(), w.env...)
	return cmd
}

func (w *oauthWorld) run(code int, args ...string) *testlib.Result {
	w.t.Helper()
	r := testlib.RunCommand(w.t, w.command(args...), testlib.RunTimeout)
	if r.Code != code {
		w.t.Fatalf("fetchsecure %v: exit %d, want %d\n%s%s", args, r.Code, code, r.Stdout, r.Stderr)
	}
	return r
}

func (w *oauthWorld) tokenFile() string { return filepath.Join(w.dir, "state", "oauth2", "lab.json") }

// stored returns the token file's fields.
func (w *oauthWorld) stored() map[string]any {
	w.t.Helper()
	b, err := os.ReadFile(w.tokenFile())
	if err != nil {
		w.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		w.t.Fatal(err)
	}
	return m
}

// sleep makes the stored access token expire, as a night with the laptop closed does.
func (w *oauthWorld) sleep() {
	w.t.Helper()
	m := w.stored()
	m["expiry"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	b, _ := json.Marshal(m)
	if err := os.WriteFile(w.tokenFile(), b, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *oauthWorld) delivered() int { return len(testlib.ReadMaildir(w.t, w.maildir)) }

func TestOAuthDeviceLoginIMAP(t *testing.T) {
	w := newOAuthWorld(t, oauthtest.Options{Pending: 1})
	imapd := oauthtest.StartIMAP(t, oauthUser, func(tok string) bool { return w.idp.Valid(tok) },
		w.ca.Issue(t).TLSConfig(), "OAUTHBEARER", "XOAUTH2")
	imapd.Append(t, []byte("Subject: one\r\n\r\nfirst\r\n"))
	w.writeConfig(w.account("imap", imapd.Addr))

	r := w.run(3, "--once")
	if !strings.Contains(string(r.Stderr), "account lab has no OAuth2 token") ||
		!strings.Contains(string(r.Stderr), "hint: run `fetchsecure oauth login lab`") {
		t.Errorf("before login:\n%s", r.Stderr)
	}
	r = w.run(0, "oauth", "login", "lab", "--device")
	if !strings.Contains(string(r.Stdout), "WDJB-MJHT") {
		t.Errorf("login output:\n%s", r.Stdout)
	}
	if fi, err := os.Stat(w.tokenFile()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}

	w.run(0, "--once", "-v")
	if w.delivered() != 1 || w.idp.Requests("refresh_token") != 0 {
		t.Fatalf("first fetch: %d delivered, %d refreshes", w.delivered(), w.idp.Requests("refresh_token"))
	}
	// Overnight the access token expired: the next run refreshes it silently.
	imapd.Append(t, []byte("Subject: two\r\n\r\nsecond\r\n"))
	w.sleep()
	w.run(0, "--once")
	if w.delivered() != 2 || w.idp.Requests("refresh_token") != 1 {
		t.Fatalf("after sleep: %d delivered, %d refreshes", w.delivered(), w.idp.Requests("refresh_token"))
	}
	// The user changed the password: every token dies. The server refuses the stored
	// access token, which is then dropped; the refresh fails and says what to do.
	w.idp.Revoke()
	r = w.run(5, "--once")
	if _, ok := w.stored()["access_token"]; ok || !strings.Contains(string(r.Stderr), "refused the token") {
		t.Errorf("revoked access token: kept %v\n%s", ok, r.Stderr)
	}
	r = w.run(5, "--once")
	if !strings.Contains(string(r.Stderr), "invalid_grant") || !strings.Contains(string(r.Stderr), "oauth login lab") {
		t.Errorf("revoked refresh token:\n%s", r.Stderr)
	}
}

func TestOAuthBrowserLoginPOP3XOAUTH2(t *testing.T) {
	w := newOAuthWorld(t, oauthtest.Options{ClientSecret: "client-s3cret", Rotate: true})
	pop := fakepop3.Start(t, fakepop3.Config{TLS: w.ca.Issue(t).TLSConfig(),
		ExtraCaps: []string{"SASL PLAIN XOAUTH2"}, // as Outlook: no OAUTHBEARER
		Messages:  [][]byte{[]byte("Subject: pop\r\n\r\nbody\r\n")},
		Hook:      fakepop3.Bearer(w.valid)})
	secretFile := filepath.Join(w.dir, "client-secret")
	writeFile(t, secretFile, "client-s3cret\n", 0o600)
	w.writeConfig(w.account("pop3", pop.Addr()) + fmt.Sprintf("oauth_client_secret_command = [\"cat\", %q]\n", secretFile))

	w.browserLogin()
	w.run(0, "--once")
	if w.delivered() != 1 || !pop.Saw("AUTH") {
		t.Fatalf("%d delivered; server saw %v", w.delivered(), pop.Verbs())
	}
	w.sleep()
	w.run(0, "--once") // refresh with a rotating refresh token
	w.sleep()
	w.run(0, "--once") // the rotated one was stored
	if w.idp.Requests("refresh_token") != 2 {
		t.Errorf("%d refreshes, want 2", w.idp.Requests("refresh_token"))
	}
}

// browserLogin runs `oauth login --browser` and plays the browser with the address
// it prints.
func (w *oauthWorld) browserLogin() {
	w.t.Helper()
	cmd := w.command("oauth", "login", "lab", "--browser")
	out, err := cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var transcript strings.Builder
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			transcript.WriteString(line + "\n")
			if strings.HasPrefix(line, w.idp.AuthURL+"?") {
				if _, err := oauthtest.Browse(line); err != nil {
					done <- err
					return
				}
			}
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			w.t.Fatalf("oauth login: %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		w.t.Fatalf("oauth login did not finish\n%s", stderr.String())
	}
}
