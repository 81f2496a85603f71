package secret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

const netrcSample = `# a comment line
machine imap.example.org login alex password hunter2
machine IMAP.example.org login bob password "pass word with \"quotes\""
machine pop.example.org
	login  alex
	password #not-a-comment   # but this is one
macdef init
  cd /pub
  machine evil.example.org login alex password macro-body

machine quoted.example.org login "a b" password p\ q
machine nologin.example.org password loose
machine nologin.example.org login alex password exact
default login alex password fallback
`

func TestParseNetrc(t *testing.T) {
	entries, err := parseNetrc([]byte(netrcSample))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		machine, login string
		allowDefault   bool
		want           string // "" = not found
	}{
		{"imap.example.org", "alex", false, "hunter2"},
		{"Imap.Example.Org", "bob", false, `pass word with "quotes"`},
		{"pop.example.org", "alex", false, "#not-a-comment"},
		{"evil.example.org", "alex", false, ""}, // inside the macro body
		{"evil.example.org", "alex", true, "fallback"},
		{"quoted.example.org", "a b", false, "p q"},
		{"nologin.example.org", "alex", false, "exact"},  // exact login wins over no login
		{"nologin.example.org", "carol", false, "loose"}, // no login: any user
		{"imap.example.org", "carol", true, ""},          // default is for alex only
		{"other.example.org", "alex", false, ""},
	} {
		e, ok := lookupNetrc(entries, tc.machine, tc.login, tc.allowDefault)
		if got := map[bool]string{true: e.password}[ok]; got != tc.want {
			t.Errorf("lookup(%s, %s, default=%v) = %q, want %q", tc.machine, tc.login, tc.allowDefault, got, tc.want)
		}
	}
}

func TestParseNetrcErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"machine", `line 1: "machine" has no value`},
		{"login alex password x", `line 1: "login" before any "machine" or "default"`},
		{"machine a\nlogin b\npassword pa zq9x\n", "line 3: unexpected word"},
		{"machine a login b zq9x x", "line 1: unexpected word"},
	} {
		_, err := parseNetrc([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.in, err, tc.want)
		}
		// The stray word may be half a password: it is never quoted back.
		if err != nil && strings.Contains(err.Error(), "zq9x") {
			t.Errorf("%q: error shows the word: %v", tc.in, err)
		}
	}
}

func writeNetrc(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".netrc")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNetrcSource(t *testing.T) {
	ok := writeNetrc(t, netrcSample, 0o600)
	open := writeNetrc(t, netrcSample, 0o644)
	missing := filepath.Join(t.TempDir(), ".netrc")
	for _, tc := range []struct {
		name    string
		n       Netrc
		want    string
		kind    fail.Kind
		missing bool
	}{
		{"explicit", Netrc{Path: ok, Machine: "imap.example.org", Login: "alex"}, "hunter2", fail.Internal, false},
		{"explicit default", Netrc{Path: ok, Machine: "x.example", Login: "alex"}, "fallback", fail.Internal, false},
		{"auto ignores default", Netrc{Path: ok, Machine: "x.example", Login: "alex", Auto: true}, "", fail.Config, true},
		{"auto match", Netrc{Path: ok, Machine: "imap.example.org", Login: "alex", Auto: true}, "hunter2", fail.Internal, false},
		{"exposed explicit", Netrc{Path: open, Machine: "x.example", Login: "nobody"}, "", fail.Insecure, false},
		{"exposed auto match", Netrc{Path: open, Machine: "imap.example.org", Login: "alex", Auto: true}, "", fail.Insecure, false},
		{"exposed auto no match", Netrc{Path: open, Machine: "x.example", Login: "alex", Auto: true}, "", fail.Config, true},
		{"no file", Netrc{Path: missing, Machine: "imap.example.org", Login: "alex", Auto: true}, "", fail.Config, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n
			got, err := resolve(t, Source{Netrc: &n, Account: "work"})
			if got.Reveal() != tc.want || Missing(err) != tc.missing || (err != nil && fail.KindOf(err) != tc.kind) {
				t.Fatalf("Resolve = %q, %v (kind %v, missing %v)", got.Reveal(), err, fail.KindOf(err), Missing(err))
			}
			if err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "fallback")) {
				t.Errorf("error shows a password: %v", err)
			}
		})
	}
}

func TestNetrcSyntaxErrorIsConfig(t *testing.T) {
	p := writeNetrc(t, "machine a login b password\n", 0o600)
	_, err := Source{Netrc: &Netrc{Path: p, Machine: "a", Login: "b"}}.Resolve(context.Background())
	if fail.KindOf(err) != fail.Config || !strings.Contains(err.Error(), p+": line 1") || Missing(err) {
		t.Errorf("err = %v (%v)", err, fail.KindOf(err))
	}
}

func TestMissingHints(t *testing.T) {
	for _, tc := range []struct {
		src  Source
		want string
	}{
		{Source{Account: "work"}, "`fetchsecure password set work`; or add a `machine HOST"},
		{Source{Account: "work", Keyring: true}, "store it with `fetchsecure password set work`"},
		{Source{Account: "work", Netrc: &Netrc{Path: "/nonexistent/.netrc", Machine: "m", Login: "l"}},
			"add a line `machine m login l password ...` to /nonexistent/.netrc"},
	} {
		restore := UseKeyring(newFakeKeyring())
		_, err := resolve(t, tc.src)
		restore()
		if !Missing(err) || fail.KindOf(err) != fail.Config || !strings.Contains(fail.HintOf(err), tc.want) {
			t.Errorf("%v: err = %v, hint %q", tc.src, err, fail.HintOf(err))
		}
		if !errors.Is(err, ErrNoSource) && !errors.Is(err, ErrNotStored) {
			t.Errorf("%v: %v matches neither sentinel", tc.src, err)
		}
	}
}

func FuzzParseNetrc(f *testing.F) {
	for _, s := range []string{netrcSample, "", "machine", `"unterminated`, "macdef x\n", "a\\", "default\n# c\nlogin x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := parseNetrc(b)
		if err != nil {
			return
		}
		last := 0
		for _, e := range entries {
			if e.line < last || e.line < 1 || e.isDefault != (e.machine == "" && e.isDefault) {
				t.Fatalf("bad entry %+v after line %d", e, last)
			}
			last = e.line
		}
	})
}
