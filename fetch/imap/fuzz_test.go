package imap

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
)

// FuzzFetch serves fuzzed bytes as the server's answer to the listing (List) or to
// the body fetch (Fetch) and checks that the client neither panics nor hangs nor
// allocates without bound, and that every message it hands over is the exact content
// of a literal (or quoted string) the server sent completely: a truncated or forged
// message must never reach the maildir.
func FuzzFetch(f *testing.F) {
	for _, s := range []string{
		"* 1 FETCH (UID 1 BODY[] {5}\r\nhello)\r\n",
		"* 1 FETCH (UID 1 BODY[] {12}\r\nline\r\n\r\nbody)\r\n* 2 FETCH (UID 2 BODY[] {0}\r\n)\r\n",
		"* 1 FETCH (BODY[] {5}\r\nhello UID 1)\r\n",
		"* 1 FETCH (UID 1 BODY[] ~{3}\r\na\x00b)\r\n",
		"* 1 FETCH (UID 1 BODY[] {1000}\r\nshort",
		"* 1 FETCH (UID 1 BODY[] {99999999999999999999}\r\n",
		"* 1 FETCH (UID 1 BODY[] \"quoted \\\"body\\\"\")\r\n",
		"* 1 FETCH (UID 1 BODY[] NIL)\r\n",
		"* 1 FETCH (UID 1 RFC822.SIZE 10)\r\n* 2 FETCH (UID 3 RFC822.SIZE 99999999999)\r\n",
		"* 1 FETCH (UID 4000000000 RFC822.SIZE 1)\r\n* 1 FETCH (UID 0 RFC822.SIZE 1)\r\n",
		"* XYZZY\r\n",
		"* LIST () \"/\" {30}\r\nabc",
		"* 1 FETCH (UID 1 ENVELOPE (NIL {4}\r\nsubj NIL NIL NIL NIL NIL NIL NIL NIL))\r\n",
		"* 1 FETCH (UID 1 BODY[]<0> {3}\r\nabc BODY[] {3}\r\ndef)\r\n",
		"+ go on\r\n* OK [ALERT] hi\r\n* 5 EXPUNGE\r\n",
	} {
		f.Add(false, []byte(s))
		f.Add(true, []byte(s))
	}
	f.Fuzz(func(t *testing.T, listing bool, data []byte) {
		before := allocated()
		var sent atomic.Pointer[[]byte] // the response the server sent, tagged OK included
		src, done := fuzzSession(t, listing, data, &sent)
		ctx := context.Background()
		mb, err := src.Open(ctx, "INBOX")
		if err == nil && listing {
			refs, _ := mb.List(ctx, known{})
			checkRefs(t, refs)
		} else if err == nil {
			refs := []fetch.Ref{{UID: 1, Size: -1}, {UID: 2, Size: -1}, {UID: 3, Size: -1}}
			mb.Fetch(ctx, refs, func(ref fetch.Ref, r io.Reader) error {
				got, err := io.ReadAll(r)
				if err == nil && !sentComplete(*sent.Load(), got) {
					t.Fatalf("UID %d: handed over %q, which the server did not send as a complete literal", ref.UID, got)
				}
				return nil
			})
		}
		src.Close()
		<-done
		if a := allocated() - before; a > 64<<20 {
			t.Fatalf("allocated %d MiB for %d bytes from the server", a>>20, len(data))
		}
	})
}

// fuzzSession starts a scripted server on a pipe, answering the listing or the body
// fetch with data and closing the connection after it, and returns a logged-in
// Source. done is closed when the server is finished.
func fuzzSession(t *testing.T, listing bool, data []byte, sent *atomic.Pointer[[]byte]) (*Source, chan struct{}) {
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer server.Close()
		serveFuzz(server, listing, data, sent)
	}()
	hang := time.AfterFunc(20*time.Second, func() { client.Close(); server.Close() })
	t.Cleanup(func() { hang.Stop() })
	src, err := New(context.Background(), client, Options{User: "u", PlaintextOK: true,
		Password: func(context.Context) (string, error) { return "p", nil }})
	if err != nil {
		t.Fatalf("login to the scripted server: %v", err)
	}
	return src, done
}

func serveFuzz(conn net.Conn, listing bool, data []byte, sent *atomic.Pointer[[]byte]) {
	br := bufio.NewReader(conn)
	io.WriteString(conn, "* OK [CAPABILITY IMAP4rev1 UIDPLUS] fuzz\r\n")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		tag, cmd, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch verb, _, _ := strings.Cut(cmd, " "); strings.ToUpper(verb) {
		case "SELECT", "EXAMINE":
			io.WriteString(conn, "* 3 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n* OK [UIDNEXT 4] x\r\n"+tag+" OK done\r\n")
		case "UID":
			if strings.Contains(cmd, "RFC822.SIZE") == listing {
				resp := append(bytes.Clone(data), "\r\n"+tag+" OK done\r\n"...)
				sent.Store(&resp)
				conn.Write(resp)
				return
			}
			io.WriteString(conn, tag+" OK done\r\n")
		case "LOGIN": // with the capabilities, as Dovecot does, so go-imap does not ask again
			io.WriteString(conn, tag+" OK [CAPABILITY IMAP4rev1 UIDPLUS] logged in\r\n")
		case "LOGOUT":
			io.WriteString(conn, "* BYE\r\n"+tag+" OK done\r\n")
			return
		default:
			io.WriteString(conn, tag+" OK done\r\n")
		}
	}
}

// checkRefs: a listing holds real, distinct UIDs in ascending order.
func checkRefs(t *testing.T, refs []fetch.Ref) {
	for i, r := range refs {
		if r.UID == 0 || i > 0 && r.UID <= refs[i-1].UID {
			t.Fatalf("listing %+v: UID 0, repeated or out of order", refs)
		}
	}
}

// sentComplete reports whether got (with LF line endings) is the content of a
// literal or quoted string that data holds completely.
func sentComplete(data, got []byte) bool {
	for i := bytes.IndexByte(data, '{'); i >= 0; i = nextIndex(data, i, '{') {
		end := bytes.IndexByte(data[i:], '}')
		if end < 0 {
			break
		}
		n, err := strconv.Atoi(string(data[i+1 : i+end]))
		start := i + end + 1
		for _, skip := range []byte{' ', '\r', '\n'} {
			if start < len(data) && data[start] == skip {
				start++
			}
		}
		if err == nil && n >= 0 && start+n <= len(data) && bytes.Equal(toLF(data[start:start+n]), got) {
			return true
		}
	}
	for i := bytes.IndexByte(data, '"'); i >= 0; i = nextIndex(data, i, '"') {
		if s, ok := unquote(data[i:]); ok && bytes.Equal(toLF(s), got) {
			return true
		}
	}
	return false
}

func nextIndex(b []byte, i int, c byte) int {
	j := bytes.IndexByte(b[i+1:], c)
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func unquote(b []byte) ([]byte, bool) {
	var out []byte
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			if i+1 < len(b) {
				i++
				out = append(out, b[i])
			}
		case '"':
			return out, true
		default:
			out = append(out, b[i])
		}
	}
	return nil, false
}

func toLF(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) }

// allocated returns the bytes allocated on the heap so far, without stopping the
// world.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
