package tests

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// target is one delivery target under test, as the config names it and as the test
// reads it back.
type target struct {
	// line returns the config line(s) of the target for a mode: "ok" delivers,
	// "temp" fails temporarily (EX_TEMPFAIL, 4xx, nothing listening), "perm" refuses
	// (5xx, another exit status). "" skips the failure part of the test.
	line func(mode string) string
	// read returns the messages in the target, trace header lines removed.
	read func() [][]byte
	// expect is what the target holds for a message the server stores as msg.
	expect func(msg []byte) []byte
}

// exerciseTarget runs a delete-mode fetch of the nasty corpus into tg and checks
// every byte; then, if the target can fail, that a temporary failure keeps the mail on
// the server (exit 7), a permanent one too (exit 10, the reason shown), and that the
// next good run delivers it.
func exerciseTarget(t *testing.T, w *world, tg target, extra ...string) {
	t.Helper()
	msgs := corpus()
	w.dc.Append(t, "alex", "INBOX", msgs...)
	config := func(mode string) {
		w.writeConfig(w.imapTo("t", tg.line(mode), append([]string{"keep = false"}, extra...)...))
	}
	config("ok")
	w.mustRun(0)
	want := mapBytes(msgs, func(b []byte) []byte { return tg.expect(testlib.ExpectIMAP(b)) })
	testlib.AssertSameMessages(t, tg.read(), want)
	if n := len(w.dc.Messages(t, "alex", "INBOX")); n != 0 {
		t.Fatalf("%d messages left on the server after a delete-mode run", n)
	}
	if tg.line("temp") == "" {
		return
	}
	fresh := [][]byte{
		[]byte("From: a@example.org\nSubject: fresh 1\nMessage-ID: <f1@t>\n\none\n"),
		[]byte("From: a@example.org\nSubject: fresh 2\nMessage-ID: <f2@t>\n\ntwo\n"),
	}
	w.dc.Append(t, "alex", "INBOX", fresh...)
	config("temp")
	r := w.mustRun(7)
	if !strings.Contains(output(r), "tried again next run") {
		t.Errorf("temporary failure: output does not say the message is kept:\n%s", output(r))
	}
	config("perm")
	r = w.mustRun(10)
	t.Logf("permanent failure reported as:\n%s", output(r))
	for _, tries := range []string{"temp", "perm"} {
		if n := len(w.dc.Messages(t, "alex", "INBOX")); n != len(fresh) {
			t.Fatalf("after the %s failure: %d messages on the server, want %d", tries, n, len(fresh))
		}
	}
	testlib.AssertSameMessages(t, tg.read(), want)
	config("ok")
	w.mustRun(0)
	all := append(want, mapBytes(fresh, func(b []byte) []byte { return tg.expect(testlib.ExpectIMAP(b)) })...)
	testlib.AssertSameMessages(t, tg.read(), all)
	if n := len(w.dc.Messages(t, "alex", "INBOX")); n != 0 {
		t.Fatalf("%d messages left on the server after the retry", n)
	}
}

func same(b []byte) []byte { return b }

// TestMDAProcmail delivers through a real procmail, with a private rc file, into a
// maildir; %T and %F reach it as variable assignments in one argument each.
func TestMDAProcmail(t *testing.T) {
	t.Parallel()
	procmail := needProgram(t, "procmail")
	w := newWorld(t)
	out := w.tempDir("pm")
	box := filepath.Join(out, "Maildir") + "/"
	rc := map[string]string{
		"ok":   fmt.Sprintf("LOGFILE=%s/log\nDEFAULT=%s\n", out, box),
		"temp": fmt.Sprintf("LOGFILE=%s/log\nEXITCODE=75\nHOST\n", out),
		"perm": fmt.Sprintf("LOGFILE=%s/log\nEXITCODE=67\nHOST\n", out),
	}
	tg := target{
		line: func(mode string) string {
			path := fixture(t, filepath.Join(out, mode+".rc"), rc[mode])
			// -m: a general-purpose filter that never touches the system mailbox.
			return fmt.Sprintf(`mda = [%q, "-t", "-m", "SENDER=%%F", "RECIPIENT=%%T", %q]`, procmail, path)
		},
		read:   func() [][]byte { return testlib.Contents(testlib.ReadMaildir(t, box)) },
		expect: same,
	}
	exerciseTarget(t, w, tg, `deliver_to = "alex"`)
}

// TestMDAMaildrop delivers through Courier's maildrop with a private filter file. It
// is optional (the CI image installs procmail, not maildrop): without it, it skips.
func TestMDAMaildrop(t *testing.T) {
	t.Parallel()
	maildrop, err := exec.LookPath("maildrop")
	if err != nil {
		t.Skip("maildrop is not installed (apt-get install maildrop)")
	}
	w := newWorld(t)
	out := w.tempDir("md")
	box := filepath.Join(out, "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		w.tempDir(filepath.Join("md", "Maildir", sub))
	}
	filter := map[string]string{
		"ok":   fmt.Sprintf("to %q\n", box+"/"),
		"temp": "EXITCODE=75\nexit\n",
		"perm": "EXITCODE=67\nexit\n",
	}
	tg := target{
		line: func(mode string) string {
			path := fixture(t, filepath.Join(out, mode+".filter"), filter[mode])
			return fmt.Sprintf(`mda = [%q, %q]`, maildrop, path)
		},
		read: func() [][]byte { return testlib.Contents(testlib.ReadMaildir(t, box)) },
		// maildrop ends a message without a final newline with one.
		expect: withFinalNewline,
	}
	exerciseTarget(t, w, tg)
}

// TestMbox appends to an mboxrd file and reads it back as mutt does; formail, a second
// reader, must count the same messages.
func TestMbox(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	path := filepath.Join(w.tempDir("mail"), "inbox")
	tg := target{
		line:   func(mode string) string { return map[string]string{"ok": fmt.Sprintf("mbox = %q", path)}[mode] },
		read:   func() [][]byte { return mapBytes(readMbox(t, path), testlib.StripTrace) },
		expect: withFinalNewline,
	}
	exerciseTarget(t, w, tg)
	if got, want := formailCount(t, path), len(corpus()); got != want {
		t.Errorf("formail reads %d messages, want %d", got, want)
	}
}

// TestLMTP delivers to Dovecot's LMTP service, into a second user's mailbox, over TCP
// and over the unix socket. A user Dovecot does not know is a permanent failure (550);
// nothing listening is a temporary one.
func TestLMTP(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.dc.AddUser(t, "bob", "bob-pass")
	closed := testlib.LoopbackPort(t)
	tg := target{
		line: func(mode string) string {
			switch mode {
			case "ok":
				return fmt.Sprintf("lmtp = %q\ndeliver_to = \"bob\"", "unix:"+w.dc.LMTPSocket)
			case "temp":
				return fmt.Sprintf("lmtp = \"127.0.0.1:%d\"\ndeliver_to = \"bob\"", closed)
			}
			return fmt.Sprintf("lmtp = \"127.0.0.1:%d\"\ndeliver_to = \"nobody-here\"", w.dc.LMTP)
		},
		read: func() [][]byte {
			return mapBytes(w.dc.Messages(t, "bob", "INBOX"), func(b []byte) []byte {
				return testlib.StripTrace(stripDovecotLMTP(t, b))
			})
		},
		expect: withFinalNewline,
	}
	exerciseTarget(t, w, tg)
}

// stripDovecotLMTP removes the trace Dovecot's LMTP service puts before the message it
// stores: Return-Path:, Delivered-To: and its own Received: field ("with LMTP").
func stripDovecotLMTP(t *testing.T, b []byte) []byte {
	t.Helper()
	for _, name := range []string{"Return-Path: ", "Delivered-To: ", "Received: "} {
		end := 0
		for {
			i := bytes.IndexByte(b[end:], '\n')
			if i < 0 {
				break
			}
			if end += i + 1; end >= len(b) || b[end] != ' ' && b[end] != '\t' {
				break
			}
		}
		if !bytes.HasPrefix(b, []byte(name)) || name == "Received: " && !bytes.Contains(b[:end], []byte("with LMTP")) {
			t.Fatalf("Dovecot LMTP stored no %s field first: %q", name, b[:min(len(b), 200)])
		}
		b = b[end:]
	}
	return b
}

// TestSMTP delivers to an in-process SMTP server that answers as the test says.
func TestSMTP(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := startSMTPD(t)
	tg := target{
		line: func(mode string) string {
			s.setAnswer(map[string]func([]byte) error{
				"temp": func([]byte) error {
					return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try later"}
				},
				"perm": func([]byte) error {
					return &gosmtp.SMTPError{Code: 554, EnhancedCode: gosmtp.EnhancedCode{5, 6, 0}, Message: "refused by policy"}
				},
			}[mode])
			return fmt.Sprintf("smtp = %q\ndeliver_to = \"alex@example.org\"", s.addr)
		},
		read: func() [][]byte {
			msgs, rcpts := s.received()
			for _, r := range rcpts {
				if r != "alex@example.org" {
					t.Errorf("RCPT TO %q, want alex@example.org", r)
				}
			}
			return mapBytes(msgs, testlib.StripTrace)
		},
		expect: withFinalNewline,
	}
	exerciseTarget(t, w, tg)
}
