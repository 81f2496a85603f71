package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
	"github.com/fetchsecure/fetchsecure/internal/testlib/interop"
)

// interopAttachment keeps the corpus's attachment small: the 20 MB one of the
// Dovecot tests proves streaming, which does not depend on the server; here each
// server gets the corpus several times.
const interopAttachment = 1 << 20

// interopCorpus returns the nasty corpus split into messages without NUL bytes and those
// with: how a server stores and serves NUL differs most, and Cyrus answers it with
// a literal8, so NUL gets cells of its own.
func interopCorpus() (plain, nul [][]byte) {
	for _, m := range testlib.NastyWith(interopAttachment) {
		if bytes.IndexByte(m.Data, 0) >= 0 {
			nul = append(nul, m.Data)
		} else {
			plain = append(plain, m.Data)
		}
	}
	return plain, nul
}

// cell is one run of the matrix: a server endpoint, a way there, a mode.
type cell struct {
	srv  interop.Mailstore
	ep   interop.Endpoint
	ssh  *tunnelTo // nil: direct
	mode string    // keep, delete or NUL
	msgs [][]byte
	user string // added to the server, with an empty mailbox
}

var userSeq atomic.Int64

func (c cell) tlsName() string {
	if c.ep.TLS == "starttls" {
		return "STARTTLS"
	}
	if c.ep.TLS == "none" {
		return "none"
	}
	return "TLS"
}

func (c cell) via() string {
	if c.ssh != nil {
		return "SSH"
	}
	return "direct"
}

// run fills a fresh mailbox, runs fetchsecure once, and checks the delivery
// byte for byte, then what is left on the server and that a second run finds
// nothing new.
func (c cell) run(t *testing.T) {
	var detail string
	interop.Record(t, interop.Result{Server: c.srv.Name(), Protocol: strings.ToUpper(c.ep.Protocol),
		TLS: c.tlsName(), Via: c.via(), Mode: c.mode}, func() string { return detail })
	held := c.srv.Fill(t, c.user, password, "INBOX", c.msgs)
	want := make([][]byte, len(held))
	for i, h := range held {
		want[i] = c.srv.Expect(c.ep.Protocol, h)
	}
	dir := t.TempDir()
	maildir := filepath.Join(dir, "Maildir")
	config := c.config(t, dir, c.user, maildir)
	bin := testlib.BuildBinary(t, "./cmd/fetchsecure")
	shared := c.sharedUIDLs(t, c.user)
	for run := 1; run <= 2; run++ {
		if run > 1 {
			// A server whose UIDVALIDITY is the time of the session (Courier's, read-only,
			// before the folder was ever opened read-write) shows it only a second later.
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		}
		r := testlib.Run(t, bin, "-c", config, "--once")
		if !c.checkRun(t, run, r, maildir, without(want, shared), len(shared) > 0, &detail) {
			return
		}
	}
	c.checkLeft(t, len(shared), &detail)
}

// checkRun checks what one run did: exit 0, the warnings due, and the maildir holding
// want. It reports whether the next run is worth making.
func (c cell) checkRun(t *testing.T, run int, r *testlib.Result, maildir string, want [][]byte, shared bool, detail *string) bool {
	t.Helper()
	if r.Code != 0 {
		*detail = fmt.Sprintf("run %d: exit %d: %s", run, r.Code, firstLine(r.Stderr))
		t.Fatalf("fetchsecure run %d: %s", run, r)
	}
	if c.mode == "delete" && !canDelete(c.srv) && !bytes.Contains(r.Stderr, []byte("stay on the server")) {
		*detail = fmt.Sprintf("run %d: no warning that the messages stay on the server", run)
		t.Errorf("%s:\n%s", *detail, r.Stderr)
	}
	if shared && (run == 1 || c.mode == "keep") && !bytes.Contains(r.Stderr, []byte("repeats")) {
		*detail = fmt.Sprintf("run %d: no warning about messages with a shared UIDL", run)
		t.Errorf("%s:\n%s", *detail, r.Stderr)
	}
	got := testlib.Contents(testlib.ReadMaildir(t, maildir))
	if d := sameMessages(got, want); d != "" {
		*detail = fmt.Sprintf("run %d: %s", run, d)
		testlib.AssertSameMessages(t, got, want)
		return false
	}
	return true
}

// checkLeft checks what is left on the server: everything in keep mode, in delete
// mode only the messages that shared a UIDL, or everything where deleting exactly the
// fetched messages is impossible (and then not even a \Deleted flag).
func (c cell) checkLeft(t *testing.T, shared int, detail *string) {
	t.Helper()
	left, wantLeft := c.srv.Count(t, c.user, password, "INBOX"), len(c.msgs)
	if c.mode == "delete" && canDelete(c.srv) {
		wantLeft = shared
	}
	if left != wantLeft {
		*detail = fmt.Sprintf("%d messages left on the server, want %d", left, wantLeft)
		t.Errorf("%s", *detail)
	}
	if !canDelete(c.srv) {
		c.noneDeleted(t, c.user, detail)
	}
}

// canDelete reports whether fetchsecure can delete exactly the fetched messages from
// srv (see Courier.CanDelete); it can unless srv says otherwise.
func canDelete(srv interop.Mailstore) bool {
	d, ok := srv.(interface{ CanDelete() bool })
	return !ok || d.CanDelete()
}

// noneDeleted checks that no message on the server is flagged \Deleted: without
// UIDPLUS fetchsecure must not even mark them, since any EXPUNGE would remove them.
func (c cell) noneDeleted(t *testing.T, user string, detail *string) {
	t.Helper()
	for _, f := range interop.ReadFlags(t, c.ep.Port, c.srv.Anchor(), user, password, "INBOX") {
		if strings.Contains(f, `\Deleted`) {
			*detail = "a message was flagged \\Deleted on a server without UIDPLUS"
			t.Errorf("%s: %s", *detail, f)
		}
	}
}

// sharedUIDLs returns the messages a POP3 server gives the UIDL of an earlier one.
func (c cell) sharedUIDLs(t *testing.T, user string) []int {
	if c.ep.Protocol != "pop3" {
		return nil
	}
	for _, ep := range c.srv.Endpoints() {
		if ep.Protocol == "pop3" && ep.TLS == "tls" {
			return interop.SharedUIDLs(t, ep.Port, c.srv.Anchor(), user, password)
		}
	}
	return nil
}

// without is what fetchsecure delivers when messages share the UIDL of an earlier
// one: it cannot tell them apart across sessions, so it leaves them on the server,
// with a warning. Once the earlier one is deleted, the state still knows that UIDL
// as delivered, so they stay there for good (docs/servers.md, popa3d).
func without(want [][]byte, shared []int) [][]byte {
	skip := map[int]bool{}
	for _, i := range shared {
		skip[i] = true
	}
	var out [][]byte
	for i, w := range want {
		if !skip[i] {
			out = append(out, w)
		}
	}
	return out
}

// config writes the account's configuration and returns its path.
func (c cell) config(t *testing.T, dir, user, maildir string) string {
	t.Helper()
	lines := []string{
		fmt.Sprintf("state_dir = %q", filepath.Join(dir, "state")),
		"",
		"[account.interop]",
		fmt.Sprintf("protocol = %q", c.ep.Protocol),
		`host = "127.0.0.1"`,
		fmt.Sprintf("port = %d", c.ep.Port),
		fmt.Sprintf("tls = %q", c.ep.TLS),
		fmt.Sprintf("user = %q", user),
		fmt.Sprintf("password = %q", password),
		fmt.Sprintf("maildir = %q", maildir),
		fmt.Sprintf("keep = %v", c.mode != "delete"),
	}
	if c.ep.TLS != "none" {
		lines = append(lines, fmt.Sprintf("ca_file = %q", c.srv.Anchor().File))
	}
	if c.ssh != nil {
		lines = append(lines, `tunnel = "hop"`, "", c.ssh.table())
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sameMessages is AssertSameMessages as a one-line description, "" when equal.
func sameMessages(got, want [][]byte) string {
	rec := &recorder{}
	testlib.AssertSameMessages(rec, got, want)
	return firstLine([]byte(rec.msg))
}

// recorder is a testing.TB that only keeps the first error.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}
func (r *recorder) Error(args ...any) {
	if r.msg == "" {
		r.msg = fmt.Sprint(args...)
	}
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return strings.TrimPrefix(line, "fetchsecure: ")
}

// tunnelTo is a real OpenSSH sshd the account reaches its server through, with
// fetchsecure's in-process SSH client (tunnel = "hop").
type tunnelTo struct {
	sshd *testlib.SSHD
	key  *testlib.SSHKey
}

func startTunnel(t *testing.T) *tunnelTo {
	t.Helper()
	s := testlib.StartSSHD(t, testlib.SSHDOptions{})
	k := testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")
	s.AuthorizeKey(k.Public)
	return &tunnelTo{sshd: s, key: k}
}

func (tt *tunnelTo) table() string {
	return strings.Join([]string{
		"[tunnel.hop]",
		fmt.Sprintf("host = %q", tt.sshd.Host),
		fmt.Sprintf("port = %d", tt.sshd.Port),
		fmt.Sprintf("user = %q", tt.sshd.User),
		fmt.Sprintf("identity_file = %q", tt.key.Path),
		fmt.Sprintf("host_key = %q", strings.TrimSpace(string(ssh.MarshalAuthorizedKey(tt.sshd.HostKeys[0])))),
	}, "\n")
}
