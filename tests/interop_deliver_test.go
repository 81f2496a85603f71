package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
	"github.com/fetchsecure/fetchsecure/internal/testlib/interop"
)

func TestInteropDeliverExim(t *testing.T) {
	deliverMatrix(t, "exim", func() interop.Target { return interop.AsTarget(interop.StartExim(t)) })
}

func TestInteropDeliverPostfix(t *testing.T) {
	deliverMatrix(t, "postfix", func() interop.Target { return interop.AsTarget(interop.StartPostfix(t)) })
}

func TestInteropDeliverCyrusLMTP(t *testing.T) {
	deliverMatrix(t, "cyrus-lmtp", func() interop.Target {
		return interop.CyrusLMTP{Cyrus: interop.StartCyrus(t, interop.CyrusOptions{})}
	})
}

func TestInteropDeliverDovecotLMTP(t *testing.T) {
	deliverMatrix(t, "dovecot-lmtp", func() interop.Target { return interop.StartDovecotLMTP(t) })
}

// deliverMatrix fetches the nasty corpus from a private Dovecot over POP3S (which
// serves NUL bytes as they are) in delete mode and delivers it to the target: what
// lands must be what was fetched, apart from trace fields and what the target is
// measured to change. Then a 4xx reply must leave the message on the server and
// make the run fail temporarily (exit 7), and a 5xx reply must be reported (exit
// 10) and leave it there too.
func deliverMatrix(t *testing.T, name string, start func() interop.Target) {
	gateServer(t, name)
	testlib.CheckGoroutines(t)
	tg := start()
	src := testlib.StartDovecot(t, testlib.DovecotOptions{})
	// Dovecot notices a changed passwd-file by its modification time: users added in
	// the same second as a lookup would stay unknown, so all are added first.
	users := map[string]string{}
	for _, mode := range []string{"deliver", "4xx", "5xx"} {
		users[mode] = fmt.Sprintf("u%d", userSeq.Add(1))
		src.AddUser(t, users[mode], password)
	}
	for _, mode := range []string{"deliver", "4xx", "5xx"} {
		t.Run(mode, func(t *testing.T) {
			gate(t, name+"/"+mode)
			d := &delivery{t: t, tg: tg, src: src, mode: mode, user: users[mode]}
			interop.Record(t, interop.Result{Server: tg.Name(), Protocol: strings.ToUpper(tg.Protocol()),
				TLS: "none", Via: "local", Mode: mode}, func() string { return d.detail })
			d.run()
		})
	}
}

// delivery is one cell of deliverMatrix.
type delivery struct {
	t      *testing.T
	tg     interop.Target
	src    *testlib.Dovecot
	mode   string
	user   string
	detail string
}

func (d *delivery) run() {
	t := d.t
	user := d.user
	var msgs [][]byte
	var addr, rcpt string
	switch d.mode {
	case "deliver":
		plain, nul := interopCorpus()
		msgs = append(plain, nul...)
		addr, rcpt = d.tg.Addr(), d.tg.AddUser(t, user)
	case "4xx":
		msgs = [][]byte{testlib.Attachment("over-quota", 8<<10).Data}
		addr, rcpt = d.tg.TempFail(t, len(msgs[0]))
	case "5xx":
		msgs = [][]byte{testlib.NastyWith(0)[0].Data}
		addr, rcpt = d.tg.Reject(t)
	}
	d.src.Append(t, user, "INBOX", msgs...)
	config := d.config(user, addr, rcpt)
	bin := testlib.BuildBinary(t, "./cmd/fetchsecure")
	r := testlib.Run(t, bin, "-c", config, "--once")
	switch d.mode {
	case "deliver":
		d.delivered(r, user, msgs)
	case "4xx":
		d.refused(r, 7, user, msgs, "4")
	case "5xx":
		d.refused(r, 10, user, msgs, "5")
	}
}

// delivered checks a run that delivers the corpus: every message the target takes
// lands as Expect says and is deleted from the server; one it refuses for good is
// reported (exit 10) and stays on the server.
func (d *delivery) delivered(r *testlib.Result, user string, msgs [][]byte) {
	t := d.t
	var want, refused [][]byte
	ids := map[string]bool{}
	for _, m := range msgs {
		sent := testlib.ExpectPOP3(m)
		if reply := d.tg.Refuses(sent); reply != "" {
			refused = append(refused, m)
			if !bytes.Contains(r.Stderr, []byte(reply)) {
				t.Errorf("the error does not report the server's %q", reply)
			}
			continue
		}
		if id := messageID(sent); id != "" && d.tg.Dedupes() {
			if ids[id] {
				continue // accepted and dropped by the target
			}
			ids[id] = true
		}
		want = append(want, d.tg.Expect(sent))
	}
	if code := map[bool]int{true: 10, false: 0}[len(refused) > 0]; r.Code != code {
		d.detail = fmt.Sprintf("exit %d, want %d: %s", r.Code, code, firstLine(r.Stderr))
		t.Fatalf("fetchsecure: %s", r)
	}
	got := d.tg.Delivered(t, user)
	if s := sameMessages(got, want); s != "" {
		d.detail = s
		testlib.AssertSameMessages(t, got, want)
	}
	left := d.src.Messages(t, user, "INBOX")
	if s := sameMessages(left, refused); s != "" {
		d.detail = "left on the server: " + s
		t.Errorf("messages left on the server:")
		testlib.AssertSameMessages(t, left, refused)
	}
}

// refused checks a run whose delivery the target refused with a class reply: the
// exit code, the server's reply in the error, the message kept on the server.
func (d *delivery) refused(r *testlib.Result, code int, user string, msgs [][]byte, class string) {
	t := d.t
	if r.Code != code || !bytes.Contains(r.Stderr, []byte(" "+class)) {
		d.detail = fmt.Sprintf("exit %d, want %d: %s", r.Code, code, firstLine(r.Stderr))
		t.Errorf("fetchsecure: %s (want exit %d and the server's %sxx reply)", r, code, class)
	}
	t.Logf("%s", bytes.TrimSpace(r.Stderr))
	if left := d.src.Messages(t, user, "INBOX"); len(left) != len(msgs) {
		d.detail = fmt.Sprintf("%d messages left on the server, want %d", len(left), len(msgs))
		t.Errorf("%s", d.detail)
	}
}

func (d *delivery) config(user, addr, rcpt string) string {
	t := d.t
	dir := t.TempDir()
	lines := []string{
		fmt.Sprintf("state_dir = %q", filepath.Join(dir, "state")),
		"",
		"[account.relay]",
		`protocol = "pop3"`,
		`host = "127.0.0.1"`,
		fmt.Sprintf("port = %d", d.src.POP3S),
		`tls = "tls"`,
		fmt.Sprintf("ca_file = %q", d.src.CA.File),
		fmt.Sprintf("user = %q", user),
		fmt.Sprintf("password = %q", password),
		"keep = false",
		fmt.Sprintf("%s = %q", d.tg.Protocol(), addr),
		fmt.Sprintf("deliver_to = %q", rcpt),
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// messageID returns the Message-ID field's value, "" if there is none.
func messageID(m []byte) string {
	for line := range bytes.Lines(m) {
		if len(bytes.TrimSpace(line)) == 0 {
			return ""
		}
		if v, ok := bytes.CutPrefix(line, []byte("Message-ID:")); ok {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}
