package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// extra is a measurement beside the main table.
type extra struct {
	name    string
	samples []sample
	note    string
	floor   bool // a floor client's runs, not fetchsecure's
}

const (
	bigSize     = 100 << 20 // the one large message
	hugeFolder  = 100000    // messages in the nothing-new folder
	accounts    = 10        // accounts in the parallel nothing-new run
	perAccount  = 20        // messages each of them holds
	appendChunk = 1000
	hugeUser    = "huge"
)

func (b *bench) runExtras() {
	b.bigMessage()
	b.nothingNew()
	b.tenAccounts()
}

func (b *bench) addExtra(name string, samples []sample, note string) *extra {
	e := &extra{name: name, samples: samples, note: note}
	b.extras = append(b.extras, e)
	if s, ok := median(samples); ok {
		b.logf("%-58s %s", name, s)
	} else {
		b.logf("%-58s FAILED: %s", name, samples[len(samples)-1].err)
	}
	return e
}

// smallBox fills user's INBOX with n small messages written by testlib's Append.
func (b *bench) smallBox(user string, n int) *box {
	bx := &box{user: user, n: n, imap: map[digest]int{}, pop3: map[digest]int{}}
	for start := 0; start < n; start += appendChunk {
		var msgs [][]byte
		for i := start; i < min(n, start+appendChunk); i++ {
			m := smallMessage(user, i)
			bx.add(m)
			msgs = append(msgs, m)
		}
		b.srv.dc.Append(b.t, user, "INBOX", msgs...)
	}
	b.srv.expectCount(user, n)
	return bx
}

func (bx *box) add(m []byte) {
	lf := testlib.ToLF(m)
	bx.stored += int64(len(m))
	bx.served += int64(len(lf) + bytes.Count(lf, []byte("\n")))
	bx.imap[sha256.Sum256(testlib.ExpectIMAP(m))]++
	bx.pop3[sha256.Sum256(testlib.ExpectPOP3(m))]++
}

// bigMessage: peak RSS of fetchsecure fetching one 100 MB message, IMAP and POP3.
func (b *bench) bigMessage() {
	bx := &box{user: "big", n: 1, imap: map[digest]int{}, pop3: map[digest]int{}}
	m := testlib.Attachment("big", bigSize).Data
	bx.add(m)
	b.srv.dc.Append(b.t, "big", "INBOX", m)
	b.srv.expectCount("big", 1)
	b.warm(bx)
	for _, proto := range []string{"IMAP", "POP3"} {
		tl := b.fetchsecureTool("fetchsecure "+proto+" TLS keep", proto, "TLS", true, bx)
		var ss []sample
		for range b.opts.runs {
			ss = append(ss, b.runOnce(tl, nil))
		}
		b.addExtra(fmt.Sprintf("one %d MB message, fetchsecure %s TLS", len(m)>>20, proto), ss, "peak RSS")
	}
}

// persistent is a fetchsecure setup whose state survives between runs, for the
// nothing-new measurements.
type persistent struct {
	dir, config string
	maildirs    []string
}

func (b *bench) persistent(top string, accts []account) *persistent {
	dir, err := os.MkdirTemp(b.work, "state-")
	if err != nil {
		b.t.Fatal(err)
	}
	p := &persistent{dir: dir}
	for i := range accts {
		accts[i].maildir = filepath.Join(dir, "Maildir-"+accts[i].name)
		p.maildirs = append(p.maildirs, accts[i].maildir)
	}
	if p.config, err = b.fetchsecureConfig(dir, top, accts...); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// fetch runs fetchsecure on p's config and checks that each maildir holds what the
// boxes should give.
func (b *bench) fetch(p *persistent, boxes []*box) sample {
	s := measure(b.launch, b.fetchsecureCmd(p.config), b.opts.timeout, filepath.Join(p.dir, "output.log"))
	for i, bx := range boxes {
		if s.ok() {
			s.err = verifyMaildir(p.maildirs[i], &tool{proto: "IMAP", kind: fetchsecure, box: bx})
		}
	}
	return s
}

// nothingNew: a run with nothing new on a folder of 100,000 messages, after a first
// run fetched them all; the state then knows 100,000 UIDs.
func (b *bench) nothingNew() {
	b.logf("filling a folder of %d small messages", hugeFolder)
	bx := b.mboxBox(hugeUser, hugeFolder)
	p := b.persistent("", []account{{name: hugeUser, user: hugeUser, proto: "IMAP", transport: "TLS", keep: true}})
	first := b.fetch(p, []*box{bx})
	b.addExtra(fmt.Sprintf("first fetch of %d small messages (%.0f MB)", bx.n, mb(bx.stored)),
		[]sample{first}, fmt.Sprintf("%.0f msgs/s", float64(bx.n)/first.wall.Seconds()))
	var ss []sample
	for range max(b.opts.runs, 3) {
		ss = append(ss, b.fetch(p, []*box{bx}))
	}
	b.addExtra(fmt.Sprintf("nothing new, folder of %d", bx.n), ss, "target ≤ 0.5 s")
	b.discard(p.dir)
}

// mboxBox writes n small messages into user's INBOX, an mbox file (see users): one
// file is written in a blink, where 100,000 maildir files would take minutes to
// create here, and as long again for Dovecot to move them from new/ to cur/ on the
// first SELECT. The client's work on a nothing-new run does not depend on how the
// server stores the folder.
func (b *bench) mboxBox(user string, n int) *box {
	bx := &box{user: user, n: n, imap: map[digest]int{}, pop3: map[digest]int{}}
	home := b.srv.dc.Home(b.t, user)
	var mbox bytes.Buffer
	for i := range n {
		m := smallMessage(user, i)
		bx.add(m)
		mbox.WriteString("From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n")
		mbox.Write(m)
		mbox.WriteString("\n")
	}
	if err := os.Mkdir(filepath.Join(home, "mail"), 0o700); err != nil {
		b.t.Fatal(err)
	}
	inbox := filepath.Join(home, "inbox")
	if err := os.WriteFile(inbox, mbox.Bytes(), 0o600); err != nil {
		b.t.Fatal(err)
	}
	b.srv.own(filepath.Join(home, "mail"))
	b.srv.own(inbox)
	b.srv.expectCount(user, n)
	return bx
}

// smallMessage is message i of a folder of small ones.
func smallMessage(label string, i int) []byte {
	return []byte(fmt.Sprintf("From: a@example.org\nTo: b@example.org\nSubject: %s %d\n"+
		"Message-ID: <%s.%d@bench.example>\n\nmessage %d\n", label, i, label, i, i))
}

// tenAccounts: nothing new on ten accounts (fetched in parallel) against one.
func (b *bench) tenAccounts() {
	var boxes []*box
	var accts []account
	for i := range accounts {
		user := fmt.Sprintf("acct%d", i)
		boxes = append(boxes, b.smallBox(user, perAccount))
		accts = append(accts, account{name: user, user: user, proto: "IMAP", transport: "TLS", keep: true})
	}
	one := b.persistent("", accts[:1])
	ten := b.persistent("", accts)
	wide := b.persistent(fmt.Sprintf("max_parallel = %d\n", accounts), accts)
	for _, p := range []*persistent{one, ten, wide} {
		n := len(p.maildirs)
		if s := b.fetch(p, boxes[:n]); !s.ok() {
			b.t.Fatalf("first fetch of %d accounts: %s", n, s.err)
		}
	}
	var ones, tens, wides []sample
	for range max(b.opts.runs, 3) {
		ones = append(ones, b.fetch(one, boxes[:1]))
		tens = append(tens, b.fetch(ten, boxes))
		wides = append(wides, b.fetch(wide, boxes))
	}
	b.addExtra("nothing new, one account", ones, "")
	b.addExtra(fmt.Sprintf("nothing new, %d accounts", accounts), tens,
		"default max_parallel (4); target ≤ 1.5 × one account")
	b.addExtra(fmt.Sprintf("nothing new, %d accounts, max_parallel = %d", accounts, accounts), wides,
		"all accounts at once")
	for _, p := range []*persistent{one, ten, wide} {
		b.discard(p.dir)
	}
	b.loginFloor(boxes)
}

// loginFloor: what the server needs for one login against ten at once, measured with
// the floor client (log in, read the 20 messages, log out), to tell fetchsecure's
// per-account cost from Dovecot's (a login process and a mail process per session).
func (b *bench) loginFloor(boxes []*box) {
	all := &box{imap: map[digest]int{}}
	var users []string
	for _, bx := range boxes {
		users = append(users, bx.user)
		all.n += bx.n
		all.stored += bx.stored
		all.served += bx.served
	}
	all.user = strings.Join(users, ",")
	var ones, tens []sample
	for range max(b.opts.runs, 3) {
		ones = append(ones, b.runOnce(b.floorTool("IMAP", boxes[0], false), nil))
		tens = append(tens, b.runOnce(b.floorTool("IMAP", all, false), nil))
	}
	b.addExtra("floor: log in, read 20 messages, one account", ones, "Dovecot's cost per session").floor = true
	b.addExtra(fmt.Sprintf("floor: the same, %d accounts in parallel", accounts), tens, "").floor = true
}
