package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime"
	"strings"
)

// A sample is one message as the IMAP server stores and serves it: CRLF line endings,
// the network form of RFC 5322 §2.1.
type sample struct {
	name string
	data []byte
}

// The demo's folders. The second one is not ASCII and holds a '&', which IMAP spells
// "&-" in modified UTF-7 (RFC 3501 §5.1.3).
const (
	inbox       = "INBOX"
	clubsFolder = "Vereine/Fußball & Co"
)

// inboxMail is what both users find in INBOX: everyday mail, then the cases that break
// fetchers which re-encode, buffer or dot-stuff messages.
func inboxMail() []sample {
	return []sample{
		letter("lunch", "Maria Schmidt <maria@example.org>", "Lunch on Friday?", "",
			"Hi Alex,\n\nshall we try the new Vietnamese place on Friday, 12:30?\n\nMaria\n"),
		letter("list-post", "go-nuts <golang-nuts@example.org>", "[go-nuts] Streaming large bodies",
			"List-Id: <golang-nuts.example.org>\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n",
			"Grüße aus Köln — you never need the whole message in memory:\n\n    io.Copy(dst, literal)\n\n-- \nYou received this because you subscribed.\n"),
		newsletter(),
		letter("minutes", "Kenji <kenji@example.jp>", mime.BEncoding.Encode("UTF-8", "会議の議事録 (minutes)"), "",
			"Attached below, as promised.\n"),
		letter("reply", "Alex <alex@example.org>", "Re: Release plan",
			"In-Reply-To: <plan@example.org>\nReferences: <plan@example.org>\n",
			"> From now on we tag every Friday.\n>From the changelog: nothing yet.\n\nAgreed.\n"),
		letter("long-line", "Build bot <ci@example.org>", "A 100 KB line", "", strings.Repeat("0123456789", 10_000)+"\n"),
		letter("dot-lines", "Dots <dots@example.org>", "Lines of dots", "", ".\n..\n. \n.x\nend\n."),
		letter("8bit-header", "Fran\xe7ois <f@example.org>", "Gr\xfc\xdfe aus K\xf6ln (Latin-1, not UTF-8)", "", "caf\xe9\n"),
		letter("nul", "Binary <bin@example.org>", "NUL bytes in the body", "", "before\x00after\n\x00\x00\nend\n"),
		letter("no-final-newline", "Terse <terse@example.org>", "No final newline", "", "the last line ends here"),
		attachment("attachment", 1<<20),
	}
}

// clubsMail is what user alex finds in the non-ASCII folder.
func clubsMail() []sample {
	return []sample{
		letter("training", "Trainer <trainer@example.de>", "Training am Dienstag", "",
			"Training ist am Dienstag um 19 Uhr auf dem Kunstrasen.\n"),
		letter("match", "Verein <info@example.de>", mime.QEncoding.Encode("UTF-8", "Spielbericht: 3:1 gegen Süd"), "",
			"Ein schönes Spiel.\n"),
	}
}

// newMail arrives between the runs, for the run that deletes what it delivers.
func newMail() sample {
	return letter("new", "Maria Schmidt <maria@example.org>", "Re: Lunch on Friday?", "In-Reply-To: <lunch@demo.example>\n",
		"Great, see you there.\n")
}

// letter builds a message from LF-terminated parts and converts it to CRLF.
func letter(id, from, subject, extra, body string) sample {
	h := "From: " + from + "\nTo: Alex <alex@example.org>\nSubject: " + subject +
		"\nDate: Fri, 29 Nov 2024 09:15:00 +0100\nMessage-ID: <" + id + "@demo.example>\n" + extra
	if !strings.Contains(extra, "Content-Type:") {
		h += "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
	}
	return sample{id, crlf(h + "\n" + body)}
}

func newsletter() sample {
	const b = "alt-7f3a"
	body := "--" + b + "\nContent-Type: text/plain; charset=utf-8\n\nThis week: fetchsecure 0.1.\n\n" +
		"--" + b + "\nContent-Type: text/html; charset=utf-8\n\n<p>This week: <b>fetchsecure 0.1</b>.</p>\n" +
		"--" + b + "--\n"
	return letter("newsletter", "Weekly <news@example.com>", "This week in mail",
		"MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\""+b+"\"\n", body)
}

// attachment returns a message with a base64 attachment of about size bytes, the same
// bytes on every run.
func attachment(id string, size int) sample {
	raw := make([]byte, size*57/78) // 57 bytes encode to one 76-character line and its CRLF
	r := rand.New(rand.NewPCG(1, 2))
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	const b = "mixed-51c2"
	var body bytes.Buffer
	fmt.Fprintf(&body, "--%s\nContent-Type: text/plain; charset=utf-8\n\nThe scans, as one file.\n\n", b)
	fmt.Fprintf(&body, "--%s\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"+
		"Content-Disposition: attachment; filename=\"scans.pdf\"\n\n", b)
	for len(raw) > 0 { // RFC 2045 §6.8: lines of at most 76 characters
		n := min(len(raw), 57)
		body.WriteString(base64.StdEncoding.EncodeToString(raw[:n]) + "\n")
		raw = raw[n:]
	}
	fmt.Fprintf(&body, "--%s--\n", b)
	return letter(id, "Scanner <scanner@example.org>", "Scans (1 MB attachment)",
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\""+b+"\"\n", body.String())
}

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }
