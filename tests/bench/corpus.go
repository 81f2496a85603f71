package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// corpus is the benchmark mailbox, written once to a stash directory (one file per
// message, owned by Dovecot's mail user) from which folders are filled by hard links:
// a refill after a delete-mode run costs N link(2) calls instead of writing 450 MB,
// and every copy shares the same cached pages. Dovecot never changes a maildir file in
// place (it renames to set flags and unlinks to expunge), so the stash stays intact.
type corpus struct {
	dir  string
	msgs []stashed
	ids  map[string]int // Message-ID → index, to explain a corrupted copy
}

// stashed is what the harness keeps of one message: its size and what a correct
// client delivers over each protocol.
type stashed struct {
	size   int64 // bytes as stored
	served int64 // bytes of the IMAP literal: every bare LF sent as CRLF
	imap   [32]byte
	pop3   [32]byte
}

type digest = [32]byte

// newCorpus writes BenchMailbox(seed, n) into dir.
func newCorpus(t testing.TB, dir string, seed int64, n int, owner func(string)) *corpus {
	c := &corpus{dir: dir, ids: map[string]int{}}
	for m := range testlib.BenchMailbox(seed, n) {
		i := len(c.msgs)
		p := c.path(i)
		if err := os.WriteFile(p, m.Data, 0o600); err != nil {
			t.Fatalf("stash message %d: %v", i, err)
		}
		owner(p)
		lf := testlib.ToLF(m.Data)
		c.msgs = append(c.msgs, stashed{
			size:   int64(len(m.Data)),
			served: int64(len(lf) + bytes.Count(lf, []byte("\n"))),
			imap:   sha256.Sum256(testlib.ExpectIMAP(m.Data)),
			pop3:   sha256.Sum256(testlib.ExpectPOP3(m.Data)),
		})
		c.ids[messageID(m.Data)] = i
	}
	return c
}

func (c *corpus) path(i int) string { return filepath.Join(c.dir, fmt.Sprintf("%07d", i)) }

// size is the stored size of the first n messages.
func (c *corpus) size(n int) (stored, served int64) {
	for _, m := range c.msgs[:n] {
		stored += m.size
		served += m.served
	}
	return stored, served
}

// expected is the multiset of digests a correct client delivers from the first n
// messages over proto ("IMAP" or "POP3").
func (c *corpus) expected(n int, proto string) map[digest]int {
	want := make(map[digest]int, n)
	for _, m := range c.msgs[:n] {
		if proto == "POP3" {
			want[m.pop3]++
		} else {
			want[m.imap]++
		}
	}
	return want
}

// source returns what a correct client delivers of the message whose Message-ID id
// is, for a report of what went wrong.
func (c *corpus) source(id, proto string) ([]byte, bool) {
	i, ok := c.ids[id]
	if !ok {
		return nil, false
	}
	data, err := os.ReadFile(c.path(i))
	if err != nil {
		return nil, false
	}
	if proto == "POP3" {
		return testlib.ExpectPOP3(data), true
	}
	return testlib.ExpectIMAP(data), true
}

// messageID returns the value of the first Message-ID header line, or "".
func messageID(msg []byte) string {
	for len(msg) > 0 {
		line := msg
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line, msg = msg[:i], msg[i+1:]
		} else {
			msg = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return ""
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Message-ID")) {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}
