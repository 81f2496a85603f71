package interop

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// greets connects to a plaintext port and checks that the first line starts with
// prefix and contains want: the server is up, and it is the server meant, not
// another process that took the port.
func greets(port int, prefix, want string) error {
	c, err := net.DialTimeout("tcp", testlib.Addr(port), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("greeting on port %d: %w", port, err)
	}
	if !strings.HasPrefix(line, prefix) || !strings.Contains(line, want) {
		return fmt.Errorf("port %d greets %q, want %q…%q", port, line, prefix, want)
	}
	return nil
}

func randomWord() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// IMAPClient is a test's own IMAP session (go-imap) with a server of this package,
// to fill mailboxes and read them back independently of fetchsecure.
type IMAPClient struct {
	*imapclient.Client
	t testing.TB
}

// DialIMAPS logs user in over implicit TLS on 127.0.0.1:port, trusting ca.
func DialIMAPS(t testing.TB, port int, ca *testlib.CA, user, password string) *IMAPClient {
	t.Helper()
	cfg := &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}
	c, err := imapclient.DialTLS(testlib.Addr(port), &imapclient.Options{TLSConfig: cfg})
	if err != nil {
		t.Fatalf("IMAPS port %d: %v", port, err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		c.Close()
		t.Fatalf("IMAP login of %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return &IMAPClient{Client: c, t: t}
}

// Logout ends the session.
func (c *IMAPClient) Logout() {
	_ = c.Client.Logout().Wait()
	c.Close()
}

// Create creates a folder unless it exists.
func (c *IMAPClient) Create(folder string) {
	c.t.Helper()
	if strings.EqualFold(folder, "INBOX") {
		return
	}
	if err := c.Client.Create(folder, nil).Wait(); err != nil && !strings.Contains(err.Error(), "exists") {
		c.t.Fatalf("CREATE %q: %v", folder, err)
	}
}

// Append stores msg in folder; the server's refusal is returned, not fatal.
func (c *IMAPClient) Append(folder string, msg []byte) error {
	cmd := c.Client.Append(folder, int64(len(msg)), nil)
	if _, err := cmd.Write(msg); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}

// Messages returns BODY[] of every message of folder in UID order, CRLF turned into
// LF: what the server serves over IMAP.
func (c *IMAPClient) Messages(folder string) [][]byte {
	c.t.Helper()
	data, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		c.t.Fatalf("EXAMINE %q: %v", folder, err)
	}
	if data.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	cmd := c.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	var out [][]byte
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			if b, ok := item.(imapclient.FetchItemDataBodySection); ok && b.Literal != nil {
				data, err := io.ReadAll(b.Literal)
				if err != nil {
					c.t.Fatalf("FETCH from %q: %v", folder, err)
				}
				out = append(out, testlib.ToLF(data))
			}
		}
	}
	if err := cmd.Close(); err != nil {
		c.t.Fatalf("FETCH from %q: %v", folder, err)
	}
	return out
}

// Caps returns the capabilities the server announces now, sorted by name.
func (c *IMAPClient) Caps() []string {
	var out []string
	for cp := range c.Client.Caps() {
		out = append(out, string(cp))
	}
	return sortStrings(out)
}

// Delimiter returns the hierarchy delimiter LIST reports for "INBOX".
func (c *IMAPClient) Delimiter() rune {
	c.t.Helper()
	list, err := c.List("", "INBOX", nil).Collect()
	if err != nil || len(list) == 0 {
		c.t.Fatalf("LIST INBOX: %v", err)
	}
	return list[0].Delim
}

func crlf(b []byte) []byte {
	return bytes.ReplaceAll(testlib.ToLF(b), []byte("\n"), []byte("\r\n"))
}
