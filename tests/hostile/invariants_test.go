package hostile

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

// checkInvariants checks what must hold after every case, whatever the server did:
// nothing delivered is corrupt or twice, nothing is lost, nothing undelivered was
// deleted or even flagged for deletion, no staged file is left, files and
// directories are private, and the password shows nowhere.
func (w *world) checkInvariants() {
	w.t.Helper()
	got := w.delivered()
	w.checkContent(got)
	remaining := w.remainingKeys()
	for k := range w.orig {
		if !remaining[k] && len(got[k]) == 0 {
			w.t.Errorf("message %s is gone from the server but was never delivered", k)
		}
	}
	w.checkDeletions(got)
	if _, err := os.Stat(w.maildir); err == nil {
		if tmp := testlib.MaildirTmp(w.t, w.maildir); len(tmp) > 0 {
			w.t.Errorf("staged files left in tmp/: %v", tmp)
		}
	}
	if !w.c.ownModes {
		w.checkModes(w.maildir)
		w.checkModes(filepath.Join(w.dir, "state"))
	}
	w.checkSets(got, remaining)
	w.checkTexts()
	w.checkProtection(got)
}

// protection finds how the trace header says the session was protected.
var protection = regexp.MustCompile(`with (?:IMAP|POP3) \(([^)]*)\)`)

// checkProtection: the trace header tells the truth about the session's protection.
func (w *world) checkProtection(got map[string][]testlib.Delivered) {
	want := map[string]string{"tls": "TLS1.3", "starttls": "STARTTLS TLS1.3", "none": "plaintext"}[w.c.tls]
	if w.c.ssh {
		want = "SSH tunnel via bastion"
	}
	for k, ms := range got {
		for _, m := range ms {
			if p := protection.FindSubmatch(m.Data); p == nil || string(p[1]) != want {
				w.t.Errorf("message %s: the trace header says the session was protected by %q, want %q", k, p, want)
			}
		}
	}
}

// checkContent: every delivered message is the server's message, byte for byte
// (CRLF as LF), or a size-limit placeholder where the case expects one.
func (w *world) checkContent(got map[string][]testlib.Delivered) {
	for k, ms := range got {
		if len(ms) > 1 {
			w.t.Errorf("message %s delivered %d times", k, len(ms))
		}
		for _, m := range ms {
			body := testlib.StripTrace(m.Data)
			if bytes.HasPrefix(body, []byte("From: fetchsecure <MAILER-DAEMON>")) {
				if !slices.Contains(strings.Fields(w.c.placeholder), k) {
					w.t.Errorf("message %s was replaced by a placeholder", k)
				}
				continue
			}
			orig, ok := w.orig[k]
			if !ok {
				w.t.Errorf("delivered message %s is not one the server has", k)
				continue
			}
			if want := w.expected(orig); !bytes.Equal(body, want) {
				w.t.Errorf("message %s differs from the server's: %s", k, testlib.Diff(body, want))
			}
		}
	}
}

// expected is what a correct client delivers for a message the server holds.
func (w *world) expected(orig []byte) []byte {
	if w.pop3 != nil {
		return fakepop3.Unstuffed(orig)
	}
	return bytes.ReplaceAll(orig, []byte("\r\n"), []byte("\n"))
}

func (w *world) remainingKeys() map[string]bool {
	out := map[string]bool{}
	if w.pop3 != nil {
		for _, u := range w.pop3.Remaining() {
			out[u] = true
		}
		return out
	}
	for k := range w.orig {
		folder, uid := "INBOX", k
		if i := strings.LastIndexByte(k, ':'); i >= 0 {
			folder, uid = k[:i], k[i+1:]
		}
		n, _ := strconv.ParseUint(uid, 10, 32)
		if slices.Contains(w.imap.Remaining(folder), uint32(n)) {
			out[k] = true
		}
	}
	return out
}

// checkDeletions: every UID the client flagged \Deleted or expunged was delivered.
func (w *world) checkDeletions(got map[string][]testlib.Delivered) {
	if w.imap == nil {
		return
	}
	for _, c := range w.imap.Commands() {
		deleting := c.Verb == "UID EXPUNGE" ||
			c.Verb == "UID STORE" && strings.Contains(strings.ToUpper(c.Line), `\DELETED`) ||
			c.Verb == "STORE" || c.Verb == "EXPUNGE"
		if !deleting {
			continue
		}
		if c.Verb == "STORE" || c.Verb == "EXPUNGE" {
			w.t.Errorf("the client sent %s, which is not limited to UIDs it chose: %q", c.Verb, c.Line)
			continue
		}
		for _, uid := range uidSet(c.Args[0]) {
			if k := key(c.Folder, uid); len(got[k]) == 0 {
				w.t.Errorf("%s named message %s, which was never delivered: %q", c.Verb, k, strings.TrimSpace(c.Line))
			}
		}
	}
}

// uidSet expands an explicit UID set such as "1:3,7".
func uidSet(s string) []uint32 {
	var out []uint32
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, ":")
		lo, _ := strconv.ParseUint(a, 10, 32)
		hi := lo
		if isRange {
			hi, _ = strconv.ParseUint(b, 10, 32)
		}
		for n := min(lo, hi); n <= max(lo, hi) && n-min(lo, hi) < 1<<16; n++ {
			out = append(out, uint32(n))
		}
	}
	return out
}

// checkModes: directories 0700 and files 0600 under dir.
func (w *world) checkModes(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		want := fs.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			w.t.Errorf("%s has mode %04o, want %04o", p, fi.Mode().Perm(), want)
		}
		return nil
	})
}

// checkSets compares what was delivered and what is left with the case's lists.
func (w *world) checkSets(got map[string][]testlib.Delivered, remaining map[string]bool) {
	if w.c.delivered != "" {
		var keys []string
		for k := range got {
			if !slices.Contains(strings.Fields(w.c.placeholder), k) {
				keys = append(keys, k)
			}
		}
		if g, want := sorted(keys), sorted(fields(w.c.delivered)); !slices.Equal(g, want) {
			w.t.Errorf("delivered %v, want %v", g, want)
		}
	}
	if w.c.remaining != "" {
		var keys []string
		for k := range remaining {
			keys = append(keys, k)
		}
		if g, want := sorted(keys), sorted(fields(w.c.remaining)); !slices.Equal(g, want) {
			w.t.Errorf("left on the server %v, want %v", g, want)
		}
	}
}

// fields splits a list of keys at "|" if it holds one (keys with spaces), else at
// spaces; "-" is the empty list.
func fields(s string) []string {
	switch {
	case s == "-":
		return nil
	case strings.Contains(s, "|"):
		return strings.Split(s, "|")
	}
	return strings.Fields(s)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	if s == nil {
		s = []string{}
	}
	return s
}

// checkTexts: the expected warnings were given, and no error, warning or log line
// shows the password.
func (w *world) checkTexts() {
	all := strings.Join(w.errs, "\n") + "\n" + w.logs.String()
	if strings.Contains(all, password) {
		w.t.Errorf("the password appears in an error or log line:\n%s", all)
	}
	for _, word := range w.c.warn {
		if !strings.Contains(all, word) {
			w.t.Errorf("no warning or log line mentions %q; got:\n%s", word, all)
		}
	}
}
