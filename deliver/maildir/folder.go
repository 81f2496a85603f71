package maildir

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// DefaultDelim is the hierarchy separator assumed when the source does not report the
// server's own (fetch.Envelope.Delim is 0: POP3, or an IMAP server with a flat
// namespace).
const DefaultDelim = '/'

// maxName is NAME_MAX on Linux file systems; longer folder names are shortened.
const maxName = 255

// mutf7 is the modified base64 of RFC 3501 §5.1.3: ',' instead of '/', no padding.
var mutf7 = base64.NewEncoding(
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").
	WithPadding(base64.NoPadding)

// FolderPath returns the directory of the Maildir++ folder that holds mail from the
// server folder folder, whose levels the server separates with delim (0 means
// DefaultDelim): root itself for INBOX (any case) or "", otherwise root joined with
// exactly one component that begins with '.' (FolderName).
func FolderPath(root, folder string, delim rune) (string, error) {
	name, err := FolderName(folder, delim)
	if err != nil || name == "" {
		return filepath.Clean(root), err
	}
	return filepath.Join(root, name), nil
}

// InNamespace returns folder without prefix, the server's personal namespace prefix
// (RFC 2342, fetch.Envelope.Prefix), if it starts with it and names a folder below
// it: Cyrus and Courier keep every folder below INBOX ("INBOX." with '.'), so their
// "INBOX.Lists.go-nuts" becomes "Lists.go-nuts", and lands in .Lists.go-nuts as
// Courier itself lays it out and as Dovecot's "Lists/go-nuts" does. The INBOX part of
// a prefix matches in any case (RFC 9051 §5.1).
func InNamespace(folder, prefix string) string {
	if prefix == "" || len(folder) <= len(prefix) {
		return folder
	}
	const inbox = "INBOX"
	head, want := folder[:len(prefix)], prefix
	if len(prefix) >= len(inbox) && strings.EqualFold(head[:len(inbox)], inbox) &&
		strings.EqualFold(prefix[:len(inbox)], inbox) {
		head, want = head[len(inbox):], prefix[len(inbox):]
	}
	if head != want {
		return folder
	}
	return folder[len(prefix):]
}

// FolderName maps a server folder name to its Maildir++ directory name: "" for INBOX,
// else '.' followed by the levels of the name (split at delim, the server's hierarchy
// separator, '/' when 0) joined with '.', as Courier and Dovecot lay out Maildir++
// ("Lists/go-nuts" with '/', or "Lists.go-nuts" with '.', → ".Lists.go-nuts").
//
// Each level is written in IMAP modified UTF-7 (RFC 3501 §5.1.3), the on-disk
// encoding of Courier and Dovecot, so "Entwürfe" becomes ".Entw&APw-rfe" and Dovecot
// shows it by its name. Beyond RFC 3501, '.' and '/' are encoded too when they are
// part of a level (one separates levels on disk, the other directories), as are
// control characters, and a byte that is not valid UTF-8 is carried as a
// lone UTF-16 surrogate U+DC80..U+DCFF, so distinct names stay distinct. The result is
// therefore printable ASCII without '/', never "." or "..", and one path component: a
// hostile name ("../../.ssh", "/etc", "a\x00b") cannot leave the maildir (isync
// CVE-2021-20247). A name longer than NAME_MAX is cut and given a hash suffix. A name
// with an empty level ("a//b", "/a") is refused.
func FolderName(folder string, delim rune) (string, error) {
	name, err := encodeFolder(folder, delim)
	if err != nil || name == "" {
		return "", err
	}
	return shorten(name, folder), nil
}

// encodeFolder is FolderName without the shortening.
func encodeFolder(folder string, delim rune) (string, error) {
	if folder == "" || strings.EqualFold(folder, "INBOX") {
		return "", nil
	}
	if delim == 0 {
		delim = DefaultDelim
	}
	var b strings.Builder
	for seg := range strings.SplitSeq(folder, string(delim)) {
		if seg == "" {
			return "", fail.Hint(fail.Delivery,
				fmt.Errorf("folder %q has an empty level: it cannot be a maildir folder", folder),
				"exclude this folder in the configuration")
		}
		b.WriteByte('.')
		encodeLevel(&b, seg)
	}
	return b.String(), nil
}

// encodeLevel writes one level of a folder name in extended modified UTF-7.
func encodeLevel(b *strings.Builder, seg string) {
	var units []uint16 // UTF-16 code units waiting to be base64-encoded
	flush := func() {
		if len(units) > 0 {
			buf := make([]byte, 0, 2*len(units))
			for _, u := range units {
				buf = append(buf, byte(u>>8), byte(u))
			}
			b.WriteByte('&')
			b.WriteString(mutf7.EncodeToString(buf))
			b.WriteByte('-')
			units = units[:0]
		}
	}
	for i := 0; i < len(seg); {
		r, size := utf8.DecodeRuneInString(seg[i:])
		if r == utf8.RuneError && size == 1 {
			units = append(units, 0xDC00|uint16(seg[i]))
			i++
			continue
		}
		i += size
		switch {
		case r == '&':
			flush()
			b.WriteString("&-")
		case r >= 0x20 && r <= 0x7e && r != '.' && r != '/':
			flush()
			b.WriteRune(r)
		default:
			units = utf16.AppendRune(units, r)
		}
	}
	flush()
}

// shorten cuts an over-long name before any unfinished base64 run and appends '~' and
// 16 hex digits of the SHA-256 of the original folder name, keeping names distinct.
func shorten(name, folder string) string {
	if len(name) <= maxName {
		return name
	}
	const keep = maxName - 1 - 16 - 16 // leave room; the cut may back up to a '&'
	cut := name[:keep]
	if i := strings.LastIndexByte(cut, '&'); i >= 0 && !strings.Contains(cut[i:], "-") {
		cut = cut[:i]
	}
	sum := sha256.Sum256([]byte(folder))
	return cut + "~" + hex.EncodeToString(sum[:8])
}
