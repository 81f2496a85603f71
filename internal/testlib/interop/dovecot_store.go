package interop

import (
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// DovecotStore is testlib's private Dovecot 2.3 as a Mailstore, so that the
// compatibility table shows the reference server beside the others.
type DovecotStore struct{ *testlib.Dovecot }

// StartDovecotStore starts a Dovecot; it stops when the test ends.
func StartDovecotStore(t testing.TB) DovecotStore {
	t.Helper()
	return DovecotStore{testlib.StartDovecot(t, testlib.DovecotOptions{})}
}

// Name implements Mailstore.
func (d DovecotStore) Name() string { return "Dovecot 2.3" }

// Endpoints implements Mailstore.
func (d DovecotStore) Endpoints() []Endpoint {
	return []Endpoint{{"imap", "tls", d.IMAPS}, {"imap", "starttls", d.IMAP},
		{"pop3", "tls", d.POP3S}, {"pop3", "starttls", d.POP3}}
}

// Anchor implements Mailstore.
func (d DovecotStore) Anchor() *testlib.CA { return d.CA }

// AddUser implements Mailstore.
func (d DovecotStore) AddUser(t testing.TB, name, password string) {
	d.Dovecot.AddUser(t, name, password)
}

// Folder implements Mailstore: testlib's Dovecot separates levels with '/' and has
// no namespace prefix.
func (d DovecotStore) Folder(name string) string { return name }

// Fill implements Mailstore: the messages go into the maildir byte for byte.
func (d DovecotStore) Fill(t testing.TB, user, _, folder string, msgs [][]byte) [][]byte {
	d.Append(t, user, folder, msgs...)
	return msgs
}

// Expect implements Mailstore with testlib.ExpectIMAP and testlib.ExpectPOP3.
func (d DovecotStore) Expect(protocol string, held []byte) []byte {
	if protocol == "pop3" {
		return testlib.ExpectPOP3(held)
	}
	return testlib.ExpectIMAP(held)
}

// Count implements Mailstore.
func (d DovecotStore) Count(t testing.TB, user, _, folder string) int {
	return len(d.Messages(t, user, folder))
}

// Probe implements Mailstore.
func (d DovecotStore) Probe(t testing.TB, user, password string) []Caps {
	return probeBoth(t, d.Name(), d.IMAP, d.IMAPS, d.POP3, d.POP3S, d.CA, user, password)
}
