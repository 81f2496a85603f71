package tests

import (
	"os"
	"strings"
	"testing"
)

// The interoperability matrix runs the built binary against the servers of package
// interop (Dovecot, Cyrus, Courier, popa3d behind stunnel; Exim, Postfix, Cyrus and
// Dovecot LMTP as delivery targets), each in its own mount namespace. The servers
// must be unpacked first (`make interop-deps`, as root); without them, or without
// root, the tests are skipped with the reason, or fail under
// FETCHSECURE_REQUIRE_SERVERS=1.
//
// The whole matrix (about 60 cells, a minute and a half on two cores) runs under
// `make interop`, which also renders the compatibility table of docs/servers.md.
// `make test` and CI run the cells named in ciCells: one or more per server, chosen
// to guard what fetchsecure does differently for it, in about 25 seconds.

// interopEnv selects what runs: "all" (make interop), "off" (nothing, e.g. CI
// without root), anything else the CI subset.
const interopEnv = "FETCHSECURE_INTEROP"

// ciCells is the named subset, by subtest name (server/protocol/TLS/via/mode, or
// target/mode).
var ciCells = map[string]bool{
	"cyrus/imap/TLS/direct/NUL":                true, // an unrequested literal8 for BODY[]
	"cyrus/imap/TLS/direct/folders":            true, // INBOX. namespace, '.' separator
	"cyrus/pop3/STARTTLS/direct/keep":          true, // STLS; NUL lines cut by RETR
	"courier/imap/STARTTLS/direct/keep":        true, // read-only UIDVALIDITY; STARTTLS
	"courier/pop3/TLS/direct/keep":             true, // UTF8, or 8-bit headers get wrapped
	"courier-nouidplus/imap/TLS/direct/delete": true, // no UIDPLUS: keep, never EXPUNGE
	"popa3d/pop3/TLS/direct/delete":            true, // stunnel, no CAPA, shared UIDLs
	"exim/deliver":                             true, // queued after ten messages
	"exim/4xx":                                 true,
	"postfix/deliver":                          true,
	"postfix/5xx":                              true,
	"cyrus-lmtp/deliver":                       true, // 5xx for NUL, duplicate suppression
	"cyrus-lmtp/4xx":                           true, // over quota
	"dovecot-lmtp/deliver":                     true,
}

// gate skips t unless cell id runs.
func gate(t *testing.T, id string) {
	t.Helper()
	switch os.Getenv(interopEnv) {
	case "all":
		return
	case "off":
		t.Skipf("%s=off", interopEnv)
	}
	if !ciCells[id] {
		t.Skipf("part of the full interoperability matrix: run `make interop` (%s=all)", interopEnv)
	}
}

// gateServer skips t unless some cell of server runs, before the server starts.
func gateServer(t *testing.T, server string) {
	t.Helper()
	for id := range ciCells {
		if strings.HasPrefix(id, server+"/") {
			gate(t, id)
			return
		}
	}
	gate(t, server+"/")
}
