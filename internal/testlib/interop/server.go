package interop

import (
	"fmt"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// Endpoint is one way into a mail server: a protocol ("imap" or "pop3"), a TLS mode
// as fetchsecure's tls setting names it ("tls" or "starttls") and a loopback port.
type Endpoint struct {
	Protocol string
	TLS      string
	Port     int
}

// Mailstore is what the compatibility matrix needs of a mail server: its endpoints,
// users, a way to fill a folder, what it then serves, and what is left after a run.
type Mailstore interface {
	// Name is the server as the compatibility table names it ("Cyrus 3.6").
	Name() string
	Endpoints() []Endpoint
	// Anchor is the CA that signed the server's certificate.
	Anchor() *testlib.CA
	AddUser(t testing.TB, name, password string)
	// Folder maps a "/"-separated folder to the server's name for it.
	Folder(name string) string
	// Fill stores msgs in folder and returns what the server then holds (LF form).
	Fill(t testing.TB, user, password, folder string, msgs [][]byte) [][]byte
	// Expect is what a correct client delivers when it fetches a message the server
	// holds (as Fill returned it) over protocol.
	Expect(protocol string, held []byte) []byte
	// Count is the number of messages folder holds now.
	Count(t testing.TB, user, password, folder string) int
	// Probe returns what each protocol announces: greeting and capabilities.
	Probe(t testing.TB, user, password string) []Caps
}

// Name implements Mailstore.
func (c *Cyrus) Name() string { return "Cyrus 3.6" }

// Endpoints implements Mailstore.
func (c *Cyrus) Endpoints() []Endpoint {
	return []Endpoint{{"imap", "tls", c.IMAPS}, {"imap", "starttls", c.IMAP},
		{"pop3", "tls", c.POP3S}, {"pop3", "starttls", c.POP3}}
}

// Anchor implements Mailstore.
func (c *Cyrus) Anchor() *testlib.CA { return c.CA }

// Fill implements Mailstore.
func (c *Cyrus) Fill(t testing.TB, user, password, folder string, msgs [][]byte) [][]byte {
	return c.Store(t, user, password, folder, msgs...)
}

// Expect implements Mailstore with ExpectCyrusIMAP and ExpectCyrusPOP3.
func (c *Cyrus) Expect(protocol string, held []byte) []byte {
	if protocol == "pop3" {
		return ExpectCyrusPOP3(held)
	}
	return ExpectCyrusIMAP(held)
}

// Count implements Mailstore.
func (c *Cyrus) Count(t testing.TB, user, password, folder string) int {
	return len(ReadIMAP(t, c.IMAPS, c.CA, user, password, c.Folder(folder)))
}

// Probe implements Mailstore.
func (c *Cyrus) Probe(t testing.TB, user, password string) []Caps {
	return probeBoth(t, c.Name(), c.IMAP, c.IMAPS, c.POP3, c.POP3S, c.CA, user, password)
}

func probeBoth(t testing.TB, name string, imap, imaps, pop3, pop3s int, ca *testlib.CA, user, password string) []Caps {
	ig, ic := ProbeIMAP(t, imap, imaps, ca, user, password)
	pg, pc := ProbePOP3(t, pop3, pop3s, ca, user, password)
	return []Caps{{Server: name, Protocol: "IMAP", Caps: ic, Greeting: ig},
		{Server: name, Protocol: "POP3", Caps: pc, Greeting: pg}}
}

// Name implements Mailstore.
func (c *Courier) Name() string {
	if c.opts.NoUIDPLUS {
		return "Courier 5 without UIDPLUS"
	}
	return "Courier 5"
}

// CanDelete reports whether a client can delete exactly the messages it fetched:
// without UIDPLUS (RFC 4315) only a plain EXPUNGE, which also removes the \Deleted
// messages of others, could.
func (c *Courier) CanDelete() bool { return !c.opts.NoUIDPLUS }

// Endpoints implements Mailstore.
func (c *Courier) Endpoints() []Endpoint {
	return []Endpoint{{"imap", "tls", c.IMAPS}, {"imap", "starttls", c.IMAP},
		{"pop3", "tls", c.POP3S}, {"pop3", "starttls", c.POP3}}
}

// Anchor implements Mailstore.
func (c *Courier) Anchor() *testlib.CA { return c.CA }

// Fill implements Mailstore.
func (c *Courier) Fill(t testing.TB, user, password, folder string, msgs [][]byte) [][]byte {
	return c.Store(t, user, password, folder, msgs...)
}

// Expect implements Mailstore with ExpectCourierIMAP and ExpectCourierPOP3.
func (c *Courier) Expect(protocol string, held []byte) []byte {
	if protocol == "pop3" {
		return ExpectCourierPOP3(held)
	}
	return ExpectCourierIMAP(held)
}

// Count implements Mailstore.
func (c *Courier) Count(t testing.TB, user, password, folder string) int {
	return len(ReadIMAP(t, c.IMAPS, c.CA, user, password, c.Folder(folder)))
}

// Probe implements Mailstore.
func (c *Courier) Probe(t testing.TB, user, password string) []Caps {
	return probeBoth(t, c.Name(), c.IMAP, c.IMAPS, c.POP3, c.POP3S, c.CA, user, password)
}

// Name implements Mailstore.
func (p *Popa3d) Name() string { return "popa3d 1.0 + stunnel 5" }

// Endpoints implements Mailstore: POP3S only; popa3d has no TLS of its own.
func (p *Popa3d) Endpoints() []Endpoint { return []Endpoint{{"pop3", "tls", p.POP3S}} }

// Anchor implements Mailstore.
func (p *Popa3d) Anchor() *testlib.CA { return p.CA }

// Folder implements Mailstore: an mbox has only INBOX.
func (p *Popa3d) Folder(string) string { return "INBOX" }

// Fill implements Mailstore.
func (p *Popa3d) Fill(t testing.TB, user, _, _ string, msgs [][]byte) [][]byte {
	return p.Store(t, user, msgs...)
}

// Expect implements Mailstore with ExpectPopa3d.
func (p *Popa3d) Expect(_ string, held []byte) []byte { return ExpectPopa3d(held) }

// Count implements Mailstore.
func (p *Popa3d) Count(t testing.TB, user, password, _ string) int {
	c := DialPOP3S(t, p.POP3S, p.CA)
	defer c.Quit()
	c.Login(user, password)
	var n int
	if _, err := fmt.Sscanf(c.Must("STAT"), "+OK %d", &n); err != nil {
		t.Fatalf("STAT: %v", err)
	}
	return n
}

// Probe implements Mailstore.
func (p *Popa3d) Probe(t testing.TB, user, password string) []Caps {
	g, c := ProbePOP3(t, 0, p.POP3S, p.CA, user, password)
	return []Caps{{Server: p.Name(), Protocol: "POP3", Caps: c, Greeting: g}}
}
