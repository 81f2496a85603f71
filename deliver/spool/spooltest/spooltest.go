// Package spooltest holds the nasty messages that every spooling sink's tests deliver:
// the cases a fetcher must pass through byte for byte (conventions: lines of any length,
// lines of dots, 8-bit and invalid UTF-8 headers, NUL bytes, no final newline, no body,
// huge attachments).
package spooltest

import (
	"bytes"
	"encoding/base64"
	"strings"
	"time"

	"github.com/fetchsecure/fetchsecure/deliver"
	"github.com/fetchsecure/fetchsecure/fetch"
)

// Message is one test message, LF line endings, as the pipeline hands it to Stage.
type Message struct {
	Name string
	Body []byte
}

// Messages returns the nasty messages. With huge, it includes one with a 20 MiB
// attachment.
func Messages(huge bool) []Message {
	ms := []Message{
		{"plain", []byte("From: a@example.org\nTo: b@example.org\nSubject: hi\n\nhello\n")},
		{"dot lines", []byte("Subject: dots\n\n.\n..\n...\n. \n.x\n\n.\n")},
		{"dot line last", []byte("Subject: dots\n\ntext\n.")},
		{"long line", []byte("Subject: long\n\n" + strings.Repeat("x", 100_000) + "\nafter\n")},
		{"long header line", []byte("X-Long: " + strings.Repeat("y ", 50_000) + "\n\nbody\n")},
		{"NUL bytes", []byte("Subject: nul\x00here\n\nbody\x00with\x00NULs\n\x00\n")},
		{"8-bit headers", []byte("Subject: caf\xc3\xa9 \xff\xfe invalid\nFrom: J\xf6rg <j@example.org>\n\n\xe9t\xe9\n")},
		{"CR inside lines", []byte("Subject: cr\n\nbare\rcr\nend\r\n")},
		{"no final newline", []byte("Subject: nonl\n\nlast line")},
		{"no body", []byte("Subject: header only\n")},
		{"no body no newline", []byte("Subject: header only")},
		{"empty body", []byte("Subject: empty\n\n")},
		{"From_ lines", []byte("Subject: from\n\nFrom here\n>From there\n")},
	}
	if huge {
		ms = append(ms, Message{"20 MiB attachment", Attachment(20 << 20)})
	}
	return ms
}

// Attachment returns a MIME message with size bytes of base64-encoded data.
func Attachment(size int) []byte {
	var b bytes.Buffer
	b.WriteString("Subject: big\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n" +
		"--B\nContent-Type: text/plain\n\nsee attachment\n--B\n" +
		"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n")
	raw := make([]byte, 57)
	line := make([]byte, 76)
	for i := 0; b.Len() < size; i++ {
		for j := range raw {
			raw[j] = byte(i*31 + j)
		}
		base64.StdEncoding.Encode(line, raw)
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteString("--B--\n")
	return b.Bytes()
}

// Trace is the trace setup the tests use.
var Trace = deliver.Trace{AddReceived: true, DeliverTo: "user@example.org", Hostname: "test.example"}

// Envelope returns a fixed envelope for test deliveries.
func Envelope() *fetch.Envelope {
	return &fetch.Envelope{Account: "test", Server: "imap.example.org", Protocol: "IMAP",
		Security: "TLS1.3", Folder: "INBOX", Ref: fetch.Ref{UID: 7, Size: -1},
		Received: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
}

// Staged returns the bytes a sink with Trace spools for body.
func Staged(body []byte) []byte {
	return append(Trace.Header(Envelope()), body...)
}
