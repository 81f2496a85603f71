package testlib

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// AddUser adds a passwd-file user with a plaintext password and an empty home. It works
// before and after a start: Dovecot re-reads the passwd-file when it changes — but it
// looks at most once a second, so a user added in the same second as a login of
// another user may be unknown until the next second: add every user before the first
// login.
func (d *Dovecot) AddUser(t testing.TB, name, password string) {
	t.Helper()
	d.AddUserFields(t, name, password)
}

// Home returns the home directory of user.
func (d *Dovecot) Home(t testing.TB, user string) string {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	home, ok := d.users[user]
	if !ok {
		t.Fatalf("no Dovecot user %q (AddUser first)", user)
	}
	return home
}

// Doveadm runs doveadm against this instance and returns its standard output; the
// test fails if doveadm does.
func (d *Dovecot) Doveadm(t testing.TB, args ...string) []byte {
	t.Helper()
	out, err := d.doveadm(args...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out
}

func (d *Dovecot) doveadm(args ...string) ([]byte, error) {
	cmd := exec.Command(d.adm, append([]string{"-c", d.Config}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("doveadm %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// CreateFolder creates and subscribes folder (a UTF-8 name, "/" separating levels).
// Creating an existing folder is not an error.
func (d *Dovecot) CreateFolder(t testing.TB, user, folder string) {
	t.Helper()
	d.folderDir(t, user, folder)
}

// folderDir creates folder if needed and returns its maildir, with tmp/, new/ and cur/.
func (d *Dovecot) folderDir(t testing.TB, user, folder string) string {
	t.Helper()
	key := user + "\x00" + folder
	d.mu.Lock()
	done := d.created[key]
	d.mu.Unlock()
	if done {
		return d.folderPath(t, user, folder)
	}
	if !strings.EqualFold(folder, "INBOX") {
		if _, err := d.doveadm("mailbox", "create", "-s", "-u", user, folder); err != nil &&
			!strings.Contains(err.Error(), "already exists") {
			t.Fatalf("create folder %q of %s: %v", folder, user, err)
		}
	}
	dir := d.folderPath(t, user, folder)
	for _, sub := range []string{"", "tmp", "new", "cur"} {
		d.mkdirMail(t, filepath.Join(dir, sub))
	}
	d.mu.Lock()
	d.created[key] = true
	d.mu.Unlock()
	return dir
}

// folderPath returns the maildir of folder, which need not exist. doveadm knows the
// on-disk name (Maildir++: ".Lists.go-nuts", ".Entw&APw-rfe").
func (d *Dovecot) folderPath(t testing.TB, user, folder string) string {
	t.Helper()
	d.Home(t, user)
	key := user + "\x00" + folder
	d.mu.Lock()
	dir, ok := d.paths[key]
	d.mu.Unlock()
	if ok {
		return dir
	}
	out, err := d.doveadm("mailbox", "path", "-u", user, folder)
	if err != nil {
		t.Fatalf("find folder %q of %s: %v", folder, user, err)
	}
	dir = strings.TrimSpace(string(out))
	d.mu.Lock()
	d.paths[key] = dir
	d.mu.Unlock()
	return dir
}

// mkdirMail makes a directory the mail processes own (nobody, when running as root).
func (d *Dovecot) mkdirMail(t testing.TB, p string) {
	t.Helper()
	mkdir(t, p, 0o700)
	d.chownMail(t, p)
}

func (d *Dovecot) chownMail(t testing.TB, p string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	if err := os.Chown(p, d.id.mailUID, d.id.mailGID); err != nil {
		t.Fatalf("chown %s: %v", p, err)
	}
}

// Append stores msgs in folder of user, creating the folder if needed. Each message is
// delivered into the maildir as an MDA would (tmp/, then rename into new/), so the
// server holds exactly the given bytes: CRLF or LF, NUL, 8-bit, no final newline.
// (doveadm save and IMAP APPEND would not: Dovecot's save path turns CRLF into LF
// because mail_save_crlf defaults to no.) Messages get UIDs in the order of all
// Append calls of the process, since Dovecot sorts new files by the time in their
// names when it assigns UIDs, and the names carry a process-wide sequence number.
func (d *Dovecot) Append(t testing.TB, user, folder string, msgs ...[]byte) {
	t.Helper()
	dir := d.folderDir(t, user, folder)
	for i, m := range msgs {
		name := maildirName()
		tmp := filepath.Join(dir, "tmp", name)
		if err := os.WriteFile(tmp, m, 0o600); err != nil {
			t.Fatalf("append message %d of %d to %q of %s: %v", i+1, len(msgs), folder, user, err)
		}
		d.chownMail(t, tmp)
		if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
			t.Fatalf("append message %d of %d to %q of %s: %v", i+1, len(msgs), folder, user, err)
		}
	}
}

var (
	appendSeq   atomic.Int64
	appendEpoch = time.Now().Unix()
)

// maildirName returns a unique maildir file name whose time part ("secs.Musecs", as
// Dovecot's maildir_filename_sort_cmp reads it) grows with every call.
func maildirName() string {
	n := appendSeq.Add(1)
	return fmt.Sprintf("%d.M%dP%dQ%d.testlib", appendEpoch+n/1e6, n%1e6, os.Getpid(), n)
}

// Messages returns the messages folder of user holds, in UID order (messages Dovecot
// has not yet numbered last, in Append order), as stored on disk: what the server
// has, before any protocol transformation. A folder that does not exist holds none;
// asking does not create it. Dovecot must be running the first time a folder is
// named, to look up its directory.
func (d *Dovecot) Messages(t testing.TB, user, folder string) [][]byte {
	t.Helper()
	dir := d.folderPath(t, user, folder)
	// A session syncing meanwhile moves files from new/ to cur/ (and changes their
	// flags), so a listed file can vanish before it is read: list again.
	for attempt := 1; ; attempt++ {
		msgs, err := readMaildirMessages(dir)
		if err == nil {
			return msgs
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 5 {
			t.Fatalf("read folder %q of %s: %v", folder, user, err)
		}
	}
}

// readMaildirMessages reads the messages of a Dovecot maildir in UID order.
func readMaildirMessages(dir string) ([][]byte, error) {
	files, err := maildirFiles(dir)
	if err != nil {
		return nil, err
	}
	sortByUID(files, readUIDList(filepath.Join(dir, "dovecot-uidlist")))
	msgs := make([][]byte, len(files))
	for i, f := range files {
		if msgs[i], err = os.ReadFile(f); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// maildirFiles lists the message files in new/ and cur/ of a maildir; a folder that
// does not exist yet on disk (Dovecot creates them lazily) holds none.
func maildirFiles(dir string) ([]string, error) {
	var files []string
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(dir, sub, e.Name()))
			}
		}
	}
	return files, nil
}

// readUIDList maps base file names (without the ":2," info) to UIDs from Dovecot's
// dovecot-uidlist: a header line, then "<uid> [<ext>...] :<basename>" per message.
func readUIDList(p string) map[string]uint64 {
	uids := map[string]uint64{}
	f, err := os.Open(p)
	if err != nil {
		return uids
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		uid, rest, ok := strings.Cut(line, " ")
		_, name, found := strings.Cut(rest, ":")
		if n, err := strconv.ParseUint(uid, 10, 32); ok && found && err == nil {
			uids[name] = n
		}
	}
	return uids
}

// sortByUID orders files by UID; files not yet in the list come last, in the order
// Dovecot will number them.
func sortByUID(files []string, uids map[string]uint64) {
	key := func(f string) (uint64, string) {
		base, _, _ := strings.Cut(filepath.Base(f), ":")
		if u, ok := uids[base]; ok {
			return u, base
		}
		return 1 << 32, base
	}
	sort.Slice(files, func(i, j int) bool {
		ui, bi := key(files[i])
		uj, bj := key(files[j])
		if ui != uj {
			return ui < uj
		}
		return maildirNameLess(bi, bj)
	})
}

// maildirNameLess orders names as Dovecot's maildir_filename_sort_cmp does: by the
// seconds before the first dot, then the microseconds after ".M", then as strings.
func maildirNameLess(a, b string) bool {
	sa, ra := leadingNumber(a)
	sb, rb := leadingNumber(b)
	if sa != sb {
		return sa < sb
	}
	if strings.HasPrefix(ra, ".M") && strings.HasPrefix(rb, ".M") {
		ua, _ := leadingNumber(ra[2:])
		ub, _ := leadingNumber(rb[2:])
		if ua != ub {
			return ua < ub
		}
	}
	return a < b
}

func leadingNumber(s string) (uint64, string) {
	var n uint64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + uint64(s[i]-'0')
	}
	return n, s[i:]
}

func closeWith(f *os.File, err error) error {
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
