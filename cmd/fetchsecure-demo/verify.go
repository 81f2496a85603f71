package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A wanted message: what the server served, and from which folder.
type wanted struct {
	folder string
	s      sample
	seen   int
}

// verify lists the maildirs and checks each file against the served messages.
func (d *demo) verify() error {
	d.section("What arrived, checked byte for byte against what the server served")
	direct := append(want(inbox, inboxMail()), want(inbox, []sample{newMail()})...)
	if err := d.verifyMaildir("Maildir", append(direct, want(clubsFolder, clubsMail())...)); err != nil {
		return err
	}
	if err := d.verifyMaildir("Maildir-ssh", append(want(inbox, inboxMail()), want(inbox, []sample{newMail()})...)); err != nil {
		return err
	}
	fmt.Fprintln(d.out, "Every file is exactly one served message, CRLF turned into LF and nothing else changed,")
	fmt.Fprintln(d.out, "after the Received: line fetchsecure adds on top. Files are mode 0600.")
	return d.showTraces()
}

func want(folder string, samples []sample) []*wanted {
	var w []*wanted
	for _, s := range samples {
		w = append(w, &wanted{folder: folder, s: s})
	}
	return w
}

// verifyMaildir checks that the maildir holds each wanted message exactly once, in
// the right folder, and nothing else.
func (d *demo) verifyMaildir(maildir string, wants []*wanted) error {
	root := d.path(maildir)
	byHash := map[[32]byte]*wanted{}
	for _, w := range wants {
		byHash[sha256.Sum256(bytes.ReplaceAll(w.s.data, []byte("\r\n"), []byte("\n")))] = w
	}
	files, err := messageFiles(root)
	if err != nil {
		return err
	}
	sub := ""
	for _, f := range files {
		if filepath.Dir(f) != sub {
			sub = filepath.Dir(f)
			fmt.Fprintf(d.out, "%s:\n", filepath.Join(root, sub))
		}
		if err := d.verifyFile(root, f, byHash); err != nil {
			return err
		}
	}
	for _, w := range wants {
		if w.seen != 1 {
			return fmt.Errorf("%s: message %q from %s arrived %d times, want once", root, w.s.name, w.folder, w.seen)
		}
	}
	return nil
}

func (d *demo) verifyFile(root, rel string, byHash map[[32]byte]*wanted) error {
	path := filepath.Join(root, rel)
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Mode().Perm() != 0o600 {
		return fmt.Errorf("%s: mode %v, want 0600", path, info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	msg, ok := cutTrace(data)
	if !ok {
		return fmt.Errorf("%s: does not start with fetchsecure's Received: line", path)
	}
	w := byHash[sha256.Sum256(msg)]
	if w == nil {
		return fmt.Errorf("%s: not byte-equal to any message the server served", path)
	}
	inFolder := strings.HasPrefix(rel, ".")
	if inFolder != (w.folder != inbox) {
		return fmt.Errorf("%s: message %q from %s is in the wrong Maildir++ folder", path, w.s.name, w.folder)
	}
	w.seen++
	fmt.Fprintf(d.out, "    %-8s %-58s %s\n", size(info.Size()), filepath.Base(rel), subject(msg))
	return nil
}

// messageFiles lists the files in new/ and cur/ of root and of its Maildir++ folders,
// relative to root.
func messageFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if dir := filepath.Base(filepath.Dir(path)); dir == "new" || dir == "cur" {
			rel, _ := filepath.Rel(root, path)
			files = append(files, rel)
		}
		return nil
	})
	inFolder := func(f string) int { // INBOX first, then the Maildir++ folders
		if strings.HasPrefix(f, ".") {
			return 1
		}
		return 0
	}
	slices.SortFunc(files, func(a, b string) int {
		return cmp.Or(cmp.Compare(inFolder(a), inFolder(b)), strings.Compare(a, b))
	})
	return files, err
}

// cutTrace returns the message after the Received: field fetchsecure puts first, with
// its continuation lines (RFC 5322 §2.2.3).
func cutTrace(b []byte) ([]byte, bool) {
	field, rest := firstField(b)
	return rest, bytes.HasPrefix(field, []byte("Received: ")) && bytes.Contains(field, []byte("(fetchsecure account "))
}

func firstField(b []byte) (field, rest []byte) {
	end := 0
	for {
		i := bytes.IndexByte(b[end:], '\n')
		if i < 0 {
			return b, nil
		}
		end += i + 1
		if end == len(b) || (b[end] != ' ' && b[end] != '\t') {
			return b[:end], b[end:]
		}
	}
}

// subject returns a message's Subject for display: encoded words decoded (RFC 2047),
// bytes that are not UTF-8 shown as \xNN, control characters as '?'.
func subject(msg []byte) string {
	head, _, _ := bytes.Cut(msg, []byte("\n\n"))
	var s string
	for line := range strings.SplitSeq(string(head), "\n") {
		if v, ok := strings.CutPrefix(line, "Subject: "); ok {
			s = v
			break
		}
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
		s = dec
	}
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02x", s[0])
		case !unicode.IsPrint(r):
			b.WriteByte('?')
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return `"` + b.String() + `"`
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// showTraces prints the Received: line of the first message of each maildir: how
// each one came.
func (d *demo) showTraces() error {
	fmt.Fprintln(d.out, "That line says how each message came:")
	for _, maildir := range []string{"Maildir", "Maildir-ssh"} {
		files, err := messageFiles(d.path(maildir))
		if err != nil || len(files) == 0 {
			return fmt.Errorf("read %s: no messages (%v)", d.path(maildir), err)
		}
		data, err := os.ReadFile(filepath.Join(d.path(maildir), files[0]))
		if err != nil {
			return err
		}
		field, _ := firstField(data)
		fmt.Fprint(d.out, indent(string(field)))
	}
	return nil
}
