package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/state"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

func TestIMAPDeleteMode(t *testing.T) {
	w := newWorld(t)
	msgs := messages(testlib.NastyWith(1 << 20))
	w.dc.Append(t, "alex", "INBOX", msgs...)
	w.writeConfig(w.imapAccount("work", "keep = false"))
	r := w.mustRun(0)
	if !strings.Contains(string(r.Stdout), fmt.Sprintf("%d deleted", len(msgs))) {
		t.Errorf("output does not report the deletions:\n%s", r.Stdout)
	}
	testlib.AssertSameMessages(t, w.delivered(), mapBytes(msgs, testlib.ExpectIMAP))
	if left := w.dc.Messages(t, "alex", "INBOX"); len(left) != 0 {
		t.Fatalf("%d messages left on the server", len(left))
	}
	w.mustRun(0)
	if got := len(w.delivered()); got != len(msgs) {
		t.Fatalf("second run: %d messages, want %d", got, len(msgs))
	}
}

func TestIMAPSTARTTLSNotOfferedIsRefused(t *testing.T) {
	w := &world{t: t, bin: testlib.BuildBinary(t, "./cmd/fetchsecure"), dir: t.TempDir()}
	w.dc = testlib.StartDovecot(t, testlib.DovecotOptions{DisableSTARTTLS: true})
	w.dc.AddUser(t, "alex", password)
	w.maildir, w.config = filepath.Join(w.dir, "Maildir"), filepath.Join(w.dir, "config.toml")
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: x\r\n\r\nx\r\n"))
	w.writeConfig(w.imapAccount("work", fmt.Sprintf("port = %d", w.dc.IMAP), `tls = "starttls"`))
	r := w.mustRun(6)
	if !strings.Contains(string(r.Stderr), "STARTTLS") {
		t.Errorf("the error does not name STARTTLS:\n%s", r.Stderr)
	}
	if strings.Contains(w.dc.LogTail(50), "method=PLAIN") || strings.Contains(w.dc.LogTail(50), "Login: user=<alex>") {
		t.Fatalf("the password was sent although STARTTLS failed:\n%s", w.dc.LogTail(50))
	}
}

func TestIMAPSTARTTLS(t *testing.T) {
	w := newWorld(t)
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: x\r\n\r\nx\r\n"))
	w.writeConfig(w.imapAccount("work", fmt.Sprintf("port = %d", w.dc.IMAP), `tls = "starttls"`))
	w.mustRun(0)
	if got := w.delivered(); len(got) != 1 {
		t.Fatalf("%d messages delivered over STARTTLS, want 1", len(got))
	}
}

func TestIMAPWrongCAIsRefused(t *testing.T) {
	w := newWorld(t)
	other := testlib.NewCA(t)
	w.writeConfig(w.imapAccount("work", fmt.Sprintf("ca_file = %q", other.File)))
	r := w.mustRun(6)
	if !strings.Contains(string(r.Stderr), "certificate") || !strings.Contains(string(r.Stderr), "hint:") {
		t.Errorf("the error should explain the certificate and give a hint:\n%s", r.Stderr)
	}
}

func TestIMAPWrongPasswordIsAuthFailure(t *testing.T) {
	w := newWorld(t)
	w.writeConfig(w.imapAccount("work", `password = "not-the-password"`))
	r := w.mustRun(5)
	if !strings.Contains(string(r.Stderr), "alex") || strings.Contains(string(r.Stderr), "not-the-password") {
		t.Errorf("auth error should name the user and never the password:\n%s", r.Stderr)
	}
}

func TestOneFailingAccountDoesNotStopOthers(t *testing.T) {
	w := newWorld(t)
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: x\r\n\r\nx\r\n"))
	w.writeConfig(w.imapAccount("good"), w.imapAccount("bad", `password = "wrong"`,
		fmt.Sprintf("maildir = %q", filepath.Join(w.dir, "Other"))))
	r := w.mustRun(5)
	if !strings.Contains(string(r.Stdout), "good INBOX: 1 new, 1 delivered") || len(w.delivered()) != 1 {
		t.Fatalf("the good account was not fetched:\n%s\n%s", r.Stdout, r.Stderr)
	}
}

func TestSecondRunIsLockedOut(t *testing.T) {
	w := newWorld(t)
	w.writeConfig(w.imapAccount("work"))
	// Hold the lock as another fetchsecure process would (flock is per process here).
	lock, err := state.Acquire(filepath.Join(w.dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	r := w.mustRun(8)
	if !strings.Contains(string(r.Stderr), "another fetchsecure") {
		t.Errorf("locked-out message:\n%s", r.Stderr)
	}
}

func TestConfigWithPasswordReadableByOthersIsRefused(t *testing.T) {
	w := newWorld(t)
	w.writeConfig(w.imapAccount("work"))
	os.Chmod(w.config, 0o644)
	r := w.mustRun(4)
	if !strings.Contains(string(r.Stderr), "chmod 600") {
		t.Errorf("no fix suggested:\n%s", r.Stderr)
	}
}

func TestCheckReportsEveryProblemWithLines(t *testing.T) {
	w := newWorld(t)
	w.writeConfig("[account.a]\nprotocol = \"imap\"\nhost = \"mail.example.org\"\ntls = \"ssl\"\ntimeout = 30\npasword = \"x\"\n")
	r := w.run("check")
	if r.Code != 3 {
		t.Fatalf("check exit %d, want 3\n%s", r.Code, r.Stderr)
	}
	for _, want := range []string{"config.toml:6", "config.toml:7", "config.toml:8", "did you mean", `"30s"`, "user"} {
		if !strings.Contains(string(r.Stderr), want) {
			t.Errorf("check output lacks %q:\n%s", want, r.Stderr)
		}
	}
}
