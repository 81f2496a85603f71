package hostile

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/run"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakeimap"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

// password is the account's password: no error, warning or log line may show it.
const password = "s3cret-h0stile"

// hcase is one hostile-server case: a fake server scripted to misbehave, the runs of
// the real pipeline against it, and what each run must end with.
type hcase struct {
	name  string
	proto string // "imap" (default) or "pop3"
	tls   string // "tls" (default), "starttls" or "none"
	ssh   bool   // reach the server through a real OpenSSH tunnel
	// cert returns the certificate the server presents; default: one the CA issued
	// for 127.0.0.1, ::1 and localhost.
	cert  func(w *world) *testlib.Cert
	imap  func(w *world, c *fakeimap.Config) // script the IMAP server
	pop3  func(w *world, c *fakepop3.Config) // script the POP3 server
	extra []string                           // config lines for the account
	msgs  [][]byte                           // the mailbox; default: three small messages

	runs []want // one per run, in order; default: one clean run

	delivered   string         // keys delivered after all runs ("1 2 3", "uid-1"); "-" = none; "" = unchecked
	remaining   string         // keys left on the server after all runs; "" = unchecked
	placeholder string         // keys delivered as a size-limit placeholder
	warn        []string       // words some warning or log line must hold
	maxAlloc    int64          // bytes a run may allocate (TotalAlloc); default 48 MiB
	setup       func(w *world) // prepares the local files before the first run
	ownModes    bool           // setup chose modes of its own: do not check them
	after       func(t *testing.T, w *world)
}

// want is the expected outcome of one run.
type want struct {
	kind  fail.Kind // expected kind of the error; ignored when ok
	ok    bool      // the run must succeed
	words []string  // words the error (with its hint) must hold
}

func ok() want                                     { return want{ok: true} }
func refused(kind fail.Kind, words ...string) want { return want{kind: kind, words: words} }

// world is the setup of one case: a CA, a fake server, a config, a maildir and state.
type world struct {
	t       *testing.T
	c       *hcase
	dir     string
	ca      *testlib.CA
	cert    *testlib.Cert
	imap    *fakeimap.Server
	pop3    *fakepop3.Server
	msgs    [][]byte
	orig    map[string][]byte // the server's messages by key: "3", "Lists:3", "uid-1"
	maildir string
	config  string
	sshKey  string // the identity file of the SSH tunnel, if any
	logs    *bytes.Buffer
	errs    []string // every error and warning text of every run
}

// runCase runs a case as a subtest with every invariant checked.
func runCase(t *testing.T, c hcase) {
	t.Run(c.name, func(t *testing.T) {
		testlib.CheckGoroutines(t)
		w := newWorld(t, &c)
		if c.setup != nil {
			c.setup(w)
		}
		for i, wnt := range w.runs() {
			w.runOnce(i+1, wnt)
		}
		w.checkInvariants()
		if c.after != nil {
			c.after(t, w)
		}
	})
}

func newWorld(t *testing.T, c *hcase) *world {
	if c.proto == "" {
		c.proto = "imap"
	}
	if c.tls == "" {
		c.tls = "tls"
	}
	w := &world{t: t, c: c, dir: t.TempDir(), ca: testlib.NewCA(t), logs: &bytes.Buffer{}, msgs: c.msgs}
	if w.msgs == nil {
		w.msgs = defaultMessages(3)
	}
	w.maildir = filepath.Join(w.dir, "Maildir")
	w.cert = w.ca.Issue(t)
	if c.cert != nil {
		w.cert = c.cert(w)
	}
	w.startServer()
	w.writeConfig()
	return w
}

// defaultMessages returns n small messages with distinct Message-IDs.
func defaultMessages(n int) [][]byte {
	var out [][]byte
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Appendf(nil, "Message-ID: <%d@hostile.test>\r\nSubject: message %d\r\n\r\nbody %d\r\n", i, i, i))
	}
	return out
}

func (w *world) runs() []want {
	if len(w.c.runs) == 0 {
		return []want{ok()}
	}
	return w.c.runs
}

func (w *world) startServer() {
	if w.c.proto == "pop3" {
		w.startPOP3()
	} else {
		w.startIMAP()
	}
}

// serverTLS returns the server's TLS configuration for implicit TLS and for STARTTLS;
// the one the case does not use is nil.
func (w *world) serverTLS() (implicit, starttls *tls.Config) {
	switch w.c.tls {
	case "tls":
		return w.cert.TLSConfig(), nil
	case "starttls":
		return nil, w.cert.TLSConfig()
	}
	return nil, nil
}

func (w *world) startPOP3() {
	cfg := fakepop3.Config{Messages: w.msgs, User: "user", Password: password, Pipelining: true}
	cfg.TLS, cfg.STLS = w.serverTLS()
	if w.c.pop3 != nil {
		w.c.pop3(w, &cfg)
	}
	w.pop3 = fakepop3.Start(w.t, cfg)
	w.orig = map[string][]byte{}
	for i, m := range cfg.Messages {
		uidl := fmt.Sprintf("uid-%d", i+1)
		if i < len(cfg.UIDLs) {
			uidl = cfg.UIDLs[i]
		}
		if _, dup := w.orig[uidl]; !dup { // the client must take the first
			w.orig[uidl] = m
		}
	}
}

func (w *world) startIMAP() {
	cfg := fakeimap.Config{Messages: w.msgs, User: "user", Password: password}
	cfg.TLS, cfg.StartTLS = w.serverTLS()
	if w.c.imap != nil {
		w.c.imap(w, &cfg)
	}
	w.imap = fakeimap.Start(w.t, cfg)
	w.orig = map[string][]byte{}
	for i, m := range cfg.Messages {
		uid := uint32(i + 1)
		if i < len(cfg.UIDs) {
			uid = cfg.UIDs[i]
		}
		w.orig[key("INBOX", uid)] = m
	}
	for _, f := range cfg.Folders {
		for _, m := range f.Messages {
			w.orig[key(f.Name, m.UID)] = m.Data
		}
	}
}

// key names an IMAP message the way the checks do: "3" in INBOX, "Lists:3" elsewhere.
// Control characters show as '?', as in the trace header.
func key(folder string, uid uint32) string {
	if strings.EqualFold(folder, "INBOX") {
		return fmt.Sprint(uid)
	}
	folder = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, folder)
	return fmt.Sprintf("%s:%d", folder, uid)
}

func (w *world) port() int {
	if w.pop3 != nil {
		_, port, _ := strings.Cut(w.pop3.Addr(), ":")
		var n int
		fmt.Sscan(port, &n)
		return n
	}
	return w.imap.Port()
}

// writeConfig writes the account: delete mode, so that every case also checks that
// nothing is deleted without delivery.
func (w *world) writeConfig() {
	lines := []string{
		"[account.h]",
		fmt.Sprintf("protocol = %q", w.c.proto),
		`host = "127.0.0.1"`,
		fmt.Sprintf("port = %d", w.port()),
		fmt.Sprintf("tls = %q", w.c.tls),
		`user = "user"`,
		fmt.Sprintf("password = %q", password),
		fmt.Sprintf("maildir = %q", w.maildir),
		"keep = false",
	}
	if w.c.tls != "none" {
		lines = append(lines, fmt.Sprintf("ca_file = %q", w.ca.File))
	}
	var tables []string
	if w.c.ssh {
		tables = append(tables, w.sshTunnel())
		lines = append(lines, `tunnel = "bastion"`)
	}
	body := fmt.Sprintf("state_dir = %q\ntimeout = \"10s\"\n\n", filepath.Join(w.dir, "state")) +
		testlib.ConfigTable(lines, w.c.extra) + "\n" + strings.Join(tables, "\n")
	body = strings.ReplaceAll(body, "%PIN%", testlib.SPKIPin(w.cert.Leaf))
	if strings.Contains(body, "%OTHERPIN%") {
		body = strings.ReplaceAll(body, "%OTHERPIN%", testlib.SPKIPin(testlib.SelfSigned(w.t).Leaf))
	}
	w.config = filepath.Join(w.dir, "config.toml")
	if err := os.WriteFile(w.config, []byte(body), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// sshTunnel starts a real sshd and returns the [tunnel.bastion] table that reaches
// it; the fake server is then reached as 127.0.0.1 from the sshd's side.
func (w *world) sshTunnel() string {
	s := testlib.StartSSHD(w.t, testlib.SSHDOptions{})
	key := testlib.NewSSHKey(w.t, w.t.TempDir(), "ed25519", "")
	s.AuthorizeKey(key.Public)
	kh := filepath.Join(w.dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(s.KnownHostsLine()), 0o600); err != nil {
		w.t.Fatal(err)
	}
	w.sshKey = key.Path
	return fmt.Sprintf("[tunnel.bastion]\nhost = %q\nport = %d\nuser = %q\nidentity_file = %q\nknown_hosts = %q\n",
		s.Host, s.Port, s.User, key.Path, kh)
}

// runOnce loads the config and fetches the account with the real pipeline: the
// dialer of package tunnel, the IMAP or POP3 source, the maildir, the state.
func (w *world) runOnce(n int, wnt want) {
	w.t.Helper()
	cfg, err := config.Load(w.config)
	if err != nil {
		w.t.Logf("run %d: config: %v", n, err)
		w.errs = append(w.errs, err.Error())
		w.check(n, err, wnt)
		return
	}
	dialer := run.NewDialer(cfg, nil)
	defer dialer.Close()
	env := &run.Env{Log: slog.New(slog.NewTextHandler(w.logs, nil)), Dialer: dialer}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	res := run.Account(ctx, cfg, cfg.Accounts[0], env)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)

	alloc := int64(after.TotalAlloc - before.TotalAlloc)
	w.t.Logf("run %d: %s, allocated %.1f MiB, err: %v", n, elapsed.Round(time.Millisecond),
		float64(alloc)/(1<<20), res.Err)
	if limit := cmp(w.c.maxAlloc, 48<<20); alloc > limit {
		w.t.Errorf("run %d allocated %d MiB, more than %d MiB", n, alloc>>20, limit>>20)
	}
	w.record(res)
	w.check(n, res.Err, wnt)
}

func cmp(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}

func (w *world) record(res *run.Result) {
	if res.Err != nil {
		w.errs = append(w.errs, res.Err.Error()+" | "+fail.HintOf(res.Err))
	}
	for _, f := range res.Folders {
		w.errs = append(w.errs, f.Warnings...)
	}
}

func (w *world) check(n int, err error, wnt want) {
	w.t.Helper()
	if wnt.ok {
		if err != nil {
			w.t.Errorf("run %d failed: %v (kind %v), want success", n, err, fail.KindOf(err))
		}
		return
	}
	if err == nil {
		w.t.Errorf("run %d succeeded, want a %v error", n, wnt.kind)
		return
	}
	if got := fail.KindOf(err); got != wnt.kind {
		w.t.Errorf("run %d: error kind %v, want %v; error: %v", n, got, wnt.kind, err)
	}
	text := err.Error() + " | hint: " + fail.HintOf(err)
	for _, word := range wnt.words {
		if !strings.Contains(text, word) {
			w.t.Errorf("run %d: error %q lacks %q", n, text, word)
		}
	}
}

// traceKey finds the folder and the key (UID or UIDL) in a delivered message's trace.
var traceKey = regexp.MustCompile(`folder (.*), (?:uid )?(\S+)\)`)

// delivered returns the messages in the maildir (and its Maildir++ folders) by key.
func (w *world) delivered() map[string][]testlib.Delivered {
	w.t.Helper()
	out := map[string][]testlib.Delivered{}
	filepath.WalkDir(w.maildir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || d.Name() != "new" {
			return nil
		}
		for _, m := range testlib.ReadMaildir(w.t, filepath.Dir(p)) {
			k := traceKey.FindSubmatch(m.Data)
			if k == nil {
				w.t.Errorf("delivered message %s has no trace header:\n%s", m.Name, m.Data[:min(len(m.Data), 300)])
				continue
			}
			id := string(k[2])
			if w.imap != nil && !strings.EqualFold(string(k[1]), "INBOX") {
				id = string(k[1]) + ":" + id
			}
			out[id] = append(out[id], m)
		}
		return filepath.SkipDir
	})
	return out
}
