package schedule

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/config"
)

func TestSender(t *testing.T) {
	for in, want := range map[string]string{
		`Ann Example <ann@example.org>`:              "Ann Example",
		`"Example, Ann" <ann@example.org>`:           "Example, Ann",
		`ann@example.org`:                            "ann@example.org",
		`=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <j@x>`:  "Jürgen Müller",
		`=?ISO-8859-1?Q?Andr=E9?= <a@x>`:             "André",
		"not an address\x07 \xff":                    "not an address",
		`=?UTF-8?B?` + "////" + `?= broken <a@`:      "broken <a@", // invalid bytes dropped
		strings.Repeat("x", 100) + " <long@example>": strings.Repeat("x", 59) + "…",
	} {
		if got := sender(in); got != want {
			t.Errorf("sender(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNotificationText(t *testing.T) {
	s, b := notificationText("work", 1, []string{"Ann"})
	if s != "1 new message (work)" || b != "Ann" {
		t.Errorf("one message: %q / %q", s, b)
	}
	s, b = notificationText("work", 7, []string{"Ann", "Bob"})
	if s != "7 new messages (work)" || b != "Ann\nBob\nand 5 more" {
		t.Errorf("seven messages: %q / %q", s, b)
	}
}

func TestGVariantString(t *testing.T) {
	if got := gvariantString(`it's [1] \ok`); got != `'it\'s [1] \\ok'` {
		t.Errorf("got %s", got)
	}
}

// TestNotifierCommand: notify_command wins, then notify-send, then gdbus, then
// nothing (with one warning).
func TestNotifierCommand(t *testing.T) {
	have := map[string]bool{}
	n := &notifier{log: slog.New(slog.DiscardHandler), lookPath: func(p string) (string, error) {
		if have[p] {
			return "/usr/bin/" + p, nil
		}
		return "", errors.New("not found")
	}}
	a := &config.Account{Name: "work"}
	if argv := n.command(a, "S", "B"); argv != nil {
		t.Errorf("nothing installed: %q", argv)
	}
	have["gdbus"] = true
	if argv := n.command(a, "S", "B"); len(argv) == 0 || argv[0] != "/usr/bin/gdbus" || !slices.Contains(argv, "'S'") {
		t.Errorf("gdbus: %q", argv)
	}
	have["notify-send"] = true
	if argv := n.command(a, "S", "B"); argv[0] != "/usr/bin/notify-send" || argv[len(argv)-1] != "B" {
		t.Errorf("notify-send: %q", argv)
	}
	a.NotifyCommand = []string{"my-notify", "--urgent"}
	if argv := n.command(a, "S", "B"); !slices.Equal(argv, []string{"my-notify", "--urgent", "S: B"}) {
		t.Errorf("notify_command: %q", argv)
	}
}

func TestNotifierRunsTheCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "n.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s|%s|%s|%s' \"$1\" \"$FETCHSECURE_ACCOUNT\" \"$FETCHSECURE_COUNT\" \"$FETCHSECURE_SENDERS\" > "+out+"\n"), 0o700)
	n := &notifier{log: slog.New(slog.DiscardHandler)}
	a := &config.Account{Name: "work", NotifyCommand: []string{script}}
	n.newMail(a, []*fetch.FolderReport{
		{Folder: "INBOX", Delivered: 2, Senders: []string{"Ann <a@x>", "bob@x"}},
		{Folder: "Lists", Delivered: 0},
	})
	n.wait()
	got, _ := os.ReadFile(out)
	if want := "2 new messages (work): Ann\nbob@x|work|2|Ann\nbob@x"; string(got) != want {
		t.Errorf("the command got %q, want %q", got, want)
	}
	n.newMail(a, []*fetch.FolderReport{{Folder: "INBOX"}})
	n.wait()
	if again, _ := os.ReadFile(out); string(again) != string(got) {
		t.Error("a notification without new mail")
	}
}

// FuzzSender: whatever a From: header holds (it comes from the server), what is shown
// on the desktop is short, valid UTF-8 and free of control characters.
func FuzzSender(f *testing.F) {
	for _, s := range []string{"Ann <a@x>", `=?UTF-8?Q?J=C3=BCrgen?= <j@x>`, "\x1b[31mred\x07", "=?x?B?////?=", `"a\"b" <c@d>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, from string) {
		got := sender(from)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > 60 {
			t.Fatalf("sender(%q) = %q", from, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) {
				t.Fatalf("sender(%q) = %q holds a control character", from, got)
			}
		}
	})
}
