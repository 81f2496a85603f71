package testlib

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// imapFetchAll logs in over IMAPS and returns every message of folder as BODY[]
// returns it, with CRLF turned into LF.
func imapFetchAll(t *testing.T, d *Dovecot, user, pass, folder string) [][]byte {
	t.Helper()
	c, err := imapclient.DialTLS(Addr(d.IMAPS), &imapclient.Options{TLSConfig: d.CA.ClientConfig("")})
	if err != nil {
		t.Fatalf("DialTLS: %v", err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("Login: %v", err)
	}
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("Select(%q): %v", folder, err)
	}
	var msgs [][]byte
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	fetch := c.Fetch(all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	for m := fetch.Next(); m != nil; m = fetch.Next() {
		for item := m.Next(); item != nil; item = m.Next() {
			if body, ok := item.(imapclient.FetchItemDataBodySection); ok {
				b, err := io.ReadAll(body.Literal)
				if err != nil {
					t.Fatalf("read literal: %v", err)
				}
				msgs = append(msgs, ToLF(b))
			}
		}
	}
	if err := fetch.Close(); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	return msgs
}

// pop3 is a minimal POP3 exchange over TLS (RFC 1939), just enough to read a
// mailbox back; fetchsecure's own client lives in fetch/pop3.
type pop3 struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialPOP3S(t *testing.T, d *Dovecot, user, pass string) *pop3 {
	t.Helper()
	conn, err := tls.Dial("tcp", Addr(d.POP3S), d.CA.ClientConfig(""))
	if err != nil {
		t.Fatalf("dial POP3S: %v", err)
	}
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	p := &pop3{t: t, conn: conn, r: bufio.NewReader(conn)}
	t.Cleanup(func() { conn.Close() })
	p.ok("")
	p.ok("USER " + user)
	p.ok("PASS " + pass)
	return p
}

// ok sends cmd (unless empty: the greeting) and returns the text of the +OK reply.
func (p *pop3) ok(cmd string) string {
	p.t.Helper()
	verb := "greeting"
	if cmd != "" {
		verb, _, _ = strings.Cut(cmd, " ") // never log a password
		if _, err := io.WriteString(p.conn, cmd+"\r\n"); err != nil {
			p.t.Fatalf("POP3 %s: %v", verb, err)
		}
	}
	line, err := p.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "+OK") {
		p.t.Fatalf("POP3 %s: reply %q, %v", verb, line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "+OK"))
}

// multiline reads a dot-terminated block, undoing the dot-stuffing (RFC 1939 §3),
// and returns it as sent, CRLFs included.
func (p *pop3) multiline() []byte {
	p.t.Helper()
	var b bytes.Buffer
	for {
		line, err := p.r.ReadBytes('\n')
		if err != nil {
			p.t.Fatalf("POP3 multi-line reply: %v", err)
		}
		if string(line) == ".\r\n" {
			return b.Bytes()
		}
		b.Write(bytes.TrimPrefix(line, []byte(".")))
	}
}

// retrAll returns every message, as RETR serves it, with CRLF turned into LF.
func (p *pop3) retrAll() [][]byte {
	p.t.Helper()
	stat := strings.Fields(p.ok("STAT"))
	n, err := strconv.Atoi(stat[0])
	if err != nil {
		p.t.Fatalf("STAT reply %q", stat)
	}
	msgs := make([][]byte, n)
	for i := range msgs {
		p.ok(fmt.Sprintf("RETR %d", i+1))
		msgs[i] = ToLF(p.multiline())
	}
	return msgs
}
