package hostile

import (
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

func TestMain(m *testing.M) { testlib.Main(m) }

// TestBinaryExitCodes runs the built fetchsecure against a few of the hostile servers
// and checks what a user or a script sees: the exit code of cmd/fetchsecure/exit.go,
// a message on stderr, never the password; then the invariants as for every case.
func TestBinaryExitCodes(t *testing.T) {
	bin := testlib.BuildBinary(t, "./cmd/fetchsecure")
	for _, tc := range []struct {
		name  string
		codes []int // per run
		words string
	}{
		{"preauth-instead-of-starttls", []int{6}, "PREAUTH"},
		{"literal-larger-than-sent", []int{7, 0}, "before the end of a message"},
		{"untagged-unknown-response", []int{11, 0}, "could not be understood"},
		{"state-dir-group-writable", []int{4}, "chmod 700"},
	} {
		c := findCase(t, tc.name)
		c.name = "binary-" + c.name
		c.runs = nil
		t.Run(c.name, func(t *testing.T) {
			testlib.CheckGoroutines(t)
			w := newWorld(t, &c)
			if c.setup != nil {
				c.setup(w)
			}
			for i, code := range tc.codes {
				r := testlib.Run(t, bin, "-c", w.config, "--once")
				out := string(r.Stdout) + string(r.Stderr)
				if r.Code != code {
					t.Errorf("run %d: exit %d, want %d\n%s", i+1, r.Code, code, out)
				}
				if code != 0 && !strings.Contains(out, tc.words) {
					t.Errorf("run %d: output lacks %q:\n%s", i+1, tc.words, out)
				}
				t.Logf("run %d: exit %d: %s", i+1, r.Code, strings.TrimSpace(out))
				w.errs = append(w.errs, out)
			}
			w.checkInvariants()
		})
	}
}

// findCase returns the IMAP or local case of that name.
func findCase(t *testing.T, name string) hcase {
	for _, table := range [][]hcase{imapCases, tlsCases, limitCases, localCases} {
		for _, c := range table {
			if c.name == name {
				return c
			}
		}
	}
	t.Fatalf("no case %q", name)
	return hcase{}
}
