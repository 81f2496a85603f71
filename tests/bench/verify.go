package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// verifyMaildir compares what a run delivered into maildir with what box should
// give: every message exactly once and intact. fetchsecure's copies must equal the
// expectation byte for byte once its trace header is stripped; an anchor's copies
// are compared after removing the header lines it adds itself and turning CRLF
// into LF, as anchor-results.md did.
func verifyMaildir(maildir string, tl *tool) string {
	want := tl.box.want(tl.proto)
	missing := tl.box.n
	var unexpected int
	var example string
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(maildir, sub))
		if err != nil {
			return fmt.Sprintf("read the maildir: %v", err)
		}
		for _, e := range ents {
			data, err := os.ReadFile(filepath.Join(maildir, sub, e.Name()))
			if err != nil {
				return fmt.Sprintf("read a delivered message: %v", err)
			}
			norm := normalize(data, tl.kind)
			d := sha256.Sum256(norm)
			if want[d] > 0 {
				want[d]--
				missing--
				continue
			}
			unexpected++
			if example == "" {
				example = explain(norm, tl, sub+"/"+e.Name())
			}
		}
	}
	if tl.kind == fetchsecure {
		if left, _ := os.ReadDir(filepath.Join(maildir, "tmp")); len(left) > 0 {
			return fmt.Sprintf("%d files left in tmp/", len(left))
		}
	}
	if missing == 0 && unexpected == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d messages missing or damaged, %d delivered copies match no source message (e.g. %s)",
		missing, tl.box.n, unexpected, example)
}

// normalize turns a delivered copy into what the source expectation holds.
func normalize(data []byte, k kind) []byte {
	if k == fetchsecure {
		return testlib.StripTrace(data)
	}
	return testlib.ToLF(dropField(dropField(stripAdded(data), "X-TUID:"), "X-getmail-retrieved-from-mailbox:"))
}

// dropField removes a header line starting with name, such as mbsync's X-TUID, which
// it writes at the end of the header.
func dropField(data []byte, name string) []byte {
	end := bytes.Index(data, []byte("\n\n"))
	if end < 0 {
		end = len(data)
	}
	i := bytes.Index(data[:end], []byte("\n"+name))
	if i < 0 {
		return data
	}
	j := bytes.IndexByte(data[i+1:], '\n')
	if j < 0 {
		return data[:i+1]
	}
	return append(data[:i+1:i+1], data[i+1+j+1:]...)
}

// addedFields are header fields anchors prepend: trace fields (fetchmail, getmail,
// mpop), procmail's and mbox's "From " line, status flags.
var addedFields = regexp.MustCompile(`(?i)^(From |Received:|Delivered-To:|Return-Path:|X-getmail-retrieved-from-mailbox:|Status:|X-Status:)`)

// stripAdded removes leading header fields that the benchmark messages do not have
// (each of them begins with its own "From: " field).
func stripAdded(data []byte) []byte {
	for addedFields.Match(data) {
		end := 0
		for {
			i := bytes.IndexByte(data[end:], '\n')
			if i < 0 {
				return nil
			}
			end += i + 1
			if end >= len(data) || (data[end] != ' ' && data[end] != '\t') {
				break
			}
		}
		data = data[end:]
	}
	return data
}

// explain says how a delivered copy differs from its source, found by Message-ID.
func explain(norm []byte, tl *tool, name string) string {
	id := messageID(norm)
	if tl.box.c == nil || id == "" {
		return fmt.Sprintf("%s, %d bytes", name, len(norm))
	}
	src, ok := tl.box.c.source(id, tl.proto)
	if !ok {
		return fmt.Sprintf("%s has Message-ID %s, which no source message has", name, id)
	}
	return fmt.Sprintf("%s (Message-ID %s): %s", name, id, testlib.Diff(norm, src))
}

// verifyFloor checks the floor client's own count of messages and bytes, and the
// files of the durable floor's maildir.
func verifyFloor(logPath, maildir string, tl *tool) string {
	out, _ := os.ReadFile(logPath)
	m := regexp.MustCompile(`floor: (\d+) messages, (\d+) bytes`).FindSubmatch(out)
	if m == nil {
		return "no result line: " + tail(logPath, 3)
	}
	n, _ := strconv.Atoi(string(m[1]))
	size, _ := strconv.ParseInt(string(m[2]), 10, 64)
	switch {
	case n != tl.box.n:
		return fmt.Sprintf("read %d messages, want %d", n, tl.box.n)
	case tl.proto == "IMAP" && size != tl.box.served:
		return fmt.Sprintf("read %d literal bytes, want %d", size, tl.box.served)
	}
	if maildir == "" {
		return ""
	}
	ents, err := os.ReadDir(filepath.Join(maildir, "new"))
	if err != nil || len(ents) != tl.box.n {
		return fmt.Sprintf("%d messages in the maildir, want %d (%v)", len(ents), tl.box.n, err)
	}
	return ""
}
