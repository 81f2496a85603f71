package interop

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// Store puts msgs into folder of user ("/"-separated, see Folder) and returns what
// Cyrus then holds, in LF form: the messages [ExpectCyrusIMAP] and [ExpectCyrusPOP3]
// take. Cyrus's own paths refuse two kinds of message, so:
//
//   - Line endings become CRLF: IMAP APPEND refuses a bare LF ("NO Message contains
//     bare newlines") and Cyrus keeps CRLF on disk. A lone CR is kept.
//   - A message holding NUL is written into the mailbox directory and indexed with
//     the server's own tool, reconstruct, since APPEND refuses it ("NO Message
//     contains NUL characters"), as LMTP does: this is how such a message reaches a
//     Cyrus mailbox in practice (a migration, a restore).
//   - Anything else goes in by APPEND, where Cyrus replaces every 8-bit byte of the
//     header with 'X' (munge8bit, on by default; reject8bit is off).
func (c *Cyrus) Store(t testing.TB, user, password, folder string, msgs ...[]byte) [][]byte {
	t.Helper()
	name := c.Folder(folder)
	cl := DialIMAPS(t, c.IMAPS, c.CA, user, password)
	defer cl.Logout()
	cl.Create(name)
	held := make([][]byte, len(msgs))
	var raw [][]byte
	for i, m := range msgs {
		m = crlf(m)
		if bytes.IndexByte(m, 0) >= 0 {
			raw = append(raw, m)
			held[i] = m
			continue
		}
		if err := cl.Append(name, m); err != nil {
			t.Fatalf("APPEND message %d to %s of %s: %v", i+1, name, user, err)
		}
		held[i] = munge8bit(m)
	}
	if len(raw) > 0 {
		c.reconstruct(t, cl, user, name, raw)
	}
	for i := range held {
		held[i] = bytes.ReplaceAll(held[i], []byte("\r\n"), []byte("\n"))
	}
	return held
}

// reconstruct writes msgs as the next message files of a mailbox and indexes them.
func (c *Cyrus) reconstruct(t testing.TB, cl *IMAPClient, user, name string, msgs [][]byte) {
	t.Helper()
	st, err := cl.Status(name, &imap.StatusOptions{UIDNext: true}).Wait()
	if err != nil {
		t.Fatalf("STATUS %s: %v", name, err)
	}
	mbox := c.internalName(user, name)
	dir := strings.TrimSpace(string(c.Exec(nil, "/usr/lib/cyrus/bin/mbpath", mbox)))
	rel, ok := strings.CutPrefix(dir, "/var/")
	if !ok {
		t.Fatalf("mbpath %s: %q is not below /var", mbox, dir)
	}
	for i, m := range msgs {
		p := filepath.Join(c.Var(rel), fmt.Sprintf("%d.", uint32(st.UIDNext)+uint32(i)))
		if err := os.WriteFile(p, m, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, c.UID("cyrus"), c.GID("mail")); err != nil {
			t.Fatal(err)
		}
	}
	c.Exec(nil, "/usr/lib/cyrus/bin/reconstruct", "-G", mbox)
}

// internalName is the administrator's name of a user's folder: "user.alex" for
// alex's INBOX, "user.alex.Lists.go-nuts" for INBOX.Lists.go-nuts.
func (c *Cyrus) internalName(user, name string) string {
	if strings.EqualFold(name, "INBOX") {
		return "user." + user
	}
	return "user." + user + "." + strings.TrimPrefix(name, "INBOX.")
}

// Messages returns what folder of user holds, as IMAP serves it, in LF form.
func (c *Cyrus) Messages(t testing.TB, user, password, folder string) [][]byte {
	t.Helper()
	cl := DialIMAPS(t, c.IMAPS, c.CA, user, password)
	defer cl.Logout()
	return cl.Messages(c.Folder(folder))
}

// munge8bit does what Cyrus does to a message's header on delivery (munge8bit: yes):
// every byte with the high bit set becomes 'X'. The body is left alone.
func munge8bit(m []byte) []byte {
	end := bytes.Index(m, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(m)
	}
	out := bytes.Clone(m)
	for i := range out[:end] {
		if out[i] >= 0x80 {
			out[i] = 'X'
		}
	}
	return out
}
