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

// Delim is the hierarchy separator FolderPath and FolderName expect in server folder
// names; FolderNameIn takes the server's own (fetch.Envelope.Delim). It is never
// written into a level as it is.
const Delim = '/'

// maxName is NAME_MAX on Linux file systems; longer folder names are shortened.
const maxName = 255

// mutf7 is the modified base64 of RFC 3501 §5.1.3: ',' instead of '/', no padding.
var mutf7 = base64.NewEncoding(
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").
	WithPadding(base64.NoPadding)

// FolderPath returns the directory of the Maildir++ folder that holds mail from the
// server folder folder: root itself for INBOX (any case) or "", otherwise root joined
// with exactly one component that begins with '.' (FolderName).
func FolderPath(root, folder string) (string, error) {
	name, err := FolderName(folder)
	if err != nil || name == "" {
		return filepath.Clean(root), err
	}
	return filepath.Join(root, name), nil
}

// FolderNameIn is FolderName for a server whose hierarchy delimiter is delim ('/'
// when 0) and whose personal namespace prefix is prefix (RFC 2342): the prefix is
// dropped first, so that "INBOX.Lists.go-nuts" on Cyrus or Courier (prefix "INBOX.",
// delimiter '.') becomes ".Lists.go-nuts", as Courier lays it out on disk and as
// "Lists/go-nuts" on Dovecot does. The INBOX part of a prefix matches in any case
// (RFC 9051 §5.1). A name that is the prefix alone keeps it.
func FolderNameIn(folder string, delim rune, prefix string) (string, error) {
	if delim == 0 {
		delim = Delim
	}
	if hasNamespacePrefix(folder, prefix) {
		folder = folder[len(prefix):]
	}
	name, err := encodeFolderIn(folder, delim)
	if err != nil || name == "" {
		return "", err
	}
	return shorten(name, folder), nil
}

// hasNamespacePrefix reports whether folder is longer than prefix and starts with it,
// comparing a leading "INBOX" without regard to case.
func hasNamespacePrefix(folder, prefix string) bool {
	if prefix == "" || len(folder) <= len(prefix) {
		return false
	}
	const inbox = "INBOX"
	if len(prefix) >= len(inbox) && strings.EqualFold(prefix[:len(inbox)], inbox) &&
		strings.EqualFold(folder[:len(inbox)], inbox) {
		return folder[len(inbox):len(prefix)] == prefix[len(inbox):]
	}
	return strings.HasPrefix(folder, prefix)
}

// FolderName maps a server folder name to its Maildir++ directory name: "" for INBOX,
// else '.' followed by the levels of the name (split at '/') joined with '.', as
// Courier and Dovecot lay out Maildir++ ("Lists/go-nuts" → ".Lists.go-nuts").
//
// Each level is written in IMAP modified UTF-7 (RFC 3501 §5.1.3), the on-disk
// encoding of Courier and Dovecot, so "Entwürfe" becomes ".Entw&APw-rfe" and Dovecot
// shows it by its name. Beyond RFC 3501, '.' is encoded too (it separates levels on
// disk), as are control characters, and a byte that is not valid UTF-8 is carried as a
// lone UTF-16 surrogate U+DC80..U+DCFF, so distinct names stay distinct. The result is
// therefore printable ASCII without '/', never "." or "..", and one path component: a
// hostile name ("../../.ssh", "/etc", "a\x00b") cannot leave the maildir (isync
// CVE-2021-20247). A name longer than NAME_MAX is cut and given a hash suffix. A name
// with an empty level ("a//b", "/a") is refused.
func FolderName(folder string) (string, error) { return FolderNameIn(folder, Delim, "") }

// encodeFolder is FolderName without the shortening.
func encodeFolder(folder string) (string, error) { return encodeFolderIn(folder, Delim) }

// encodeFolderIn is FolderNameIn without the prefix and the shortening: it encodes
// folder, whose levels delim separates.
func encodeFolderIn(folder string, delim rune) (string, error) {
	if folder == "" || strings.EqualFold(folder, "INBOX") {
		return "", nil
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
		case r >= 0x20 && r <= 0x7e && r != '.' && r != Delim:
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
