package interop

import (
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// ProbeIMAP returns the greeting and capabilities of an IMAP server: those announced
// on the plaintext port before login (where STARTTLS shows; plainPort 0 if there is
// none) and those announced over implicit TLS after login as user.
func ProbeIMAP(t testing.TB, plainPort, tlsPort int, ca *testlib.CA, user, password string) (greeting string, caps []string) {
	t.Helper()
	set := map[string]bool{}
	if plainPort != 0 {
		raw := dialRaw(t, plainPort, nil)
		raw.cmd("CAPABILITY")
		addCaps(set, raw.untagged)
		raw.conn.Close()
	}
	raw := dialRaw(t, tlsPort, ca)
	defer raw.conn.Close()
	greeting = raw.greeting
	raw.cmd("LOGIN %s %s", quote(user), quote(password))
	raw.cmd("CAPABILITY")
	addCaps(set, raw.untagged)
	return greeting, keys(set)
}

func addCaps(set map[string]bool, untagged []string) {
	for _, l := range untagged {
		if rest, ok := strings.CutPrefix(l, "* CAPABILITY "); ok {
			for _, c := range strings.Fields(rest) {
				set[strings.ToUpper(c)] = true
			}
		}
	}
}

// ProbePOP3 returns the greeting and CAPA listing (RFC 2449) of a POP3 server: on the
// plaintext port before login (plainPort 0 if there is none) and over implicit TLS
// after login. A server without CAPA has none.
func ProbePOP3(t testing.TB, plainPort, tlsPort int, ca *testlib.CA, user, password string) (greeting string, caps []string) {
	t.Helper()
	set := map[string]bool{}
	if plainPort != 0 {
		c := dialPOP3(t, plainPort, nil)
		for _, l := range c.Capa() {
			set[strings.ToUpper(l)] = true
		}
		c.Quit()
	}
	c := DialPOP3S(t, tlsPort, ca)
	defer c.Quit()
	greeting = c.Greeting
	c.Login(user, password)
	for _, l := range c.Capa() {
		set[strings.ToUpper(l)] = true
	}
	return greeting, keys(set)
}

func keys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return sortStrings(out)
}
