package hostile

import (
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// tlsCases present certificates a client must refuse (fetchmail CVE-2009-2666 NUL in a
// name, isync CVE-2013-0289 name not checked, mpop/msmtp CVE-2019-8337 result not
// checked), over implicit TLS and STARTTLS, to IMAP and POP3 clients; one pinned
// self-signed certificate is accepted, as the user asked.
var tlsCases = []hcase{
	{name: "imap-cert-wrong-name", cert: func(w *world) *testlib.Cert { return w.ca.IssueWrongName(w.t) },
		runs: []want{refused(fail.Security, "wrong.example", "not 127.0.0.1")}, delivered: "-"},
	{name: "imap-cert-expired", cert: func(w *world) *testlib.Cert { return w.ca.IssueExpired(w.t) },
		runs: []want{refused(fail.Security, "valid only from")}, delivered: "-"},
	{name: "imap-cert-self-signed", cert: func(w *world) *testlib.Cert { return testlib.SelfSigned(w.t) },
		runs: []want{refused(fail.Security, "unknown authority", "tls_fingerprint")}, delivered: "-"},
	{name: "imap-cert-nul-in-name", extra: []string{`host = "localhost"`},
		cert: func(w *world) *testlib.Cert { return w.ca.IssueNULName(w.t) },
		runs: []want{refused(fail.Security, "not localhost")}, delivered: "-"},
	{name: "imap-cert-pin-mismatch", extra: []string{`tls_fingerprint = "%OTHERPIN%"`},
		runs: []want{refused(fail.Security, "matches no tls_fingerprint")}, delivered: "-"},
	{name: "imap-starttls-cert-wrong-name", tls: "starttls", cert: func(w *world) *testlib.Cert { return w.ca.IssueWrongName(w.t) },
		runs: []want{refused(fail.Security, "wrong.example")}, delivered: "-", after: neverSent("LOGIN")},
	{name: "imap-cert-pinned-self-signed", // the control: a pin is the user's explicit trust
		cert:  func(w *world) *testlib.Cert { return testlib.SelfSigned(w.t) },
		extra: []string{`tls_fingerprint = "%PIN%"`}, delivered: "1 2 3", remaining: "-"},
	{name: "pop3-cert-expired", proto: "pop3", cert: func(w *world) *testlib.Cert { return w.ca.IssueExpired(w.t) },
		runs: []want{refused(fail.Security, "valid only from")}, delivered: "-"},
	{name: "pop3-stls-cert-self-signed", proto: "pop3", tls: "starttls",
		cert: func(w *world) *testlib.Cert { return testlib.SelfSigned(w.t) },
		runs: []want{refused(fail.Security, "unknown authority")}, delivered: "-", after: pop3NeverSent("USER", "PASS")},
}

func TestTLS(t *testing.T) {
	for _, c := range tlsCases {
		runCase(t, c)
	}
}
