package tests

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestCrash proves the promise of docs/design.md, "exactly once": a delete-mode fetch
// of a few hundred messages of mixed sizes is killed with SIGKILL at random instants
// (or its connection is cut after a random number of bytes) and run again until it is
// done. Then every message is in the target exactly once — for an MDA, at most once
// more per kill, each such message reported — and the server is empty.
//
// The instants come from a fixed seed. Each run gets a random max_messages (0: all),
// so that kills land in every phase: connecting, streaming, publishing, settling,
// deleting, and recovering what an earlier kill interrupted. A round whose messages
// are all delivered before the kills are done is followed by a new one.
func TestCrash(t *testing.T) {
	t.Parallel()
	scale := 1
	if testing.Short() {
		scale = 4
	}
	cases := []crashCase{
		{name: "kill/maildir", target: crashMaildir, kills: 50 / scale, round: 200},
		{name: "kill/mbox", target: crashMbox, kills: 24 / scale, round: 150},
		{name: "kill/mda", target: crashProcmail, kills: 24 / scale, round: 80, blind: true},
		{name: "kill/lmtp", target: crashLMTP, kills: 12 / scale, round: 80, blind: true},
		{name: "cut/maildir", target: crashMaildir, cuts: 40 / scale, round: 200},
		{name: "cut/mbox", target: crashMbox, cuts: 16 / scale, round: 120},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.seed = uint64(i + 1)
			c.run(t)
		})
	}
}

// crashCase is one target under one kind of interruption.
type crashCase struct {
	name   string
	target func(w *world) crashTarget
	kills  int  // SIGKILLs to deliver
	cuts   int  // connections to cut
	round  int  // messages appended per round
	blind  bool // the target cannot be asked (an MDA): duplicates allowed, reported
	seed   uint64
}

// crashTarget is a target's config line and how to read what it holds (the
// messages with their trace headers).
type crashTarget struct {
	line string
	read func() [][]byte
	// expect is what the target holds for a message as the server stores it.
	expect func([]byte) []byte
	// mda is a string in the MDA's command line, to wait for MDAs a kill orphaned.
	mda string
}

func crashMaildir(w *world) crashTarget {
	return crashTarget{line: fmt.Sprintf("maildir = %q", w.maildir),
		read:   func() [][]byte { return rawMaildir(w.t, w.maildir) },
		expect: testlib.ExpectIMAP}
}

func crashMbox(w *world) crashTarget {
	path := filepath.Join(w.tempDir("mail"), "inbox")
	return crashTarget{line: fmt.Sprintf("mbox = %q", path),
		read: func() [][]byte {
			if _, err := os.Stat(path); err != nil {
				return nil
			}
			return readMbox(w.t, path)
		},
		expect: func(b []byte) []byte { return withFinalNewline(testlib.ExpectIMAP(b)) }}
}

// crashProcmail delivers with procmail, whose recipe first pipes a copy to a short
// sleep, so that many kills find the MDA running.
func crashProcmail(w *world) crashTarget {
	procmail := needProgram(w.t, "procmail")
	dir := w.tempDir("pm")
	box := filepath.Join(dir, "Maildir")
	rc := fixture(w.t, filepath.Join(dir, "rc"), fmt.Sprintf(
		"SHELL=/bin/sh\nLOGFILE=%s/log\nDEFAULT=%s/\n:0 Wic\n| sleep 0.01\n", dir, box))
	return crashTarget{line: fmt.Sprintf("mda = [%q, \"-t\", \"-m\", %q]", procmail, rc), mda: rc,
		read:   func() [][]byte { return rawMaildir(w.t, box) },
		expect: testlib.ExpectIMAP}
}

// crashLMTP delivers to Dovecot's LMTP service, into another user's INBOX.
func crashLMTP(w *world) crashTarget {
	w.dc.AddUser(w.t, "bob", "bob-pass")
	return crashTarget{line: fmt.Sprintf("lmtp = %q\ndeliver_to = \"bob\"", "unix:"+w.dc.LMTPSocket),
		read: func() [][]byte {
			return mapBytes(w.dc.Messages(w.t, "bob", "INBOX"), func(b []byte) []byte { return stripDovecotLMTP(w.t, b) })
		},
		expect: func(b []byte) []byte { return withFinalNewline(testlib.ExpectIMAP(b)) }}
}

// crashState is what one case has done so far.
type crashState struct {
	c       *crashCase
	w       *world
	tg      crashTarget
	rng     *rand.Rand
	proxy   *cutProxy
	sent    [][]byte // every message appended to the server, as stored
	runs    int
	kills   int
	phases  map[string]int // what each kill interrupted, as seen from outside
	doubted map[int]bool   // UIDs a run warned "may have been delivered twice"
	est     map[int]time.Duration
	exits   map[int]int // exit codes of the runs that were not killed
	inRuns  time.Duration
	output  strings.Builder
}

func (c *crashCase) run(t *testing.T) {
	w := newWorld(t)
	s := &crashState{c: c, w: w, tg: c.target(w), rng: rand.New(rand.NewPCG(c.seed, 7)),
		phases: map[string]int{}, exits: map[int]int{}, doubted: map[int]bool{}, est: map[int]time.Duration{}}
	if c.cuts > 0 {
		s.proxy = startCutProxy(t, testlib.Addr(w.dc.IMAPS), rand.New(rand.NewPCG(c.seed, 11)), 400<<10)
	}
	start := time.Now()
	s.appendRound(0)
	for round := 1; !s.interrupted(); round++ {
		s.untilDone(true)
		if !s.interrupted() {
			s.appendRound(round)
		}
	}
	if s.proxy != nil {
		s.proxy.setCutting(false)
	}
	s.untilDone(false)
	if s.tg.mda != "" {
		waitForOrphans(t, s.tg.mda)
	}
	s.check(t)
	t.Logf("%d messages, %d runs (exit codes %v), %d kills %v, %d cuts, %d reported as maybe delivered twice, %v (%v in runs)",
		len(s.sent), s.runs, s.exits, s.kills, s.phases, s.cuts(), len(s.doubted),
		time.Since(start).Round(time.Millisecond), s.inRuns.Round(time.Millisecond))
}

func (s *crashState) cuts() int {
	if s.proxy == nil {
		return 0
	}
	return s.proxy.cutCount()
}

// interrupted reports whether the case has had its kills and cuts.
func (s *crashState) interrupted() bool { return s.kills >= s.c.kills && s.cuts() >= s.c.cuts }

// appendRound puts a new set of messages on the server: the nasty corpus first, then
// the benchmark mailbox's mix of sizes.
func (s *crashState) appendRound(round int) {
	var msgs [][]byte
	if round == 0 {
		msgs = messages(testlib.NastyWith(64 << 10))
	}
	for m := range testlib.BenchMailbox(int64(s.c.seed*100)+int64(round), s.c.round-len(msgs)) {
		msgs = append(msgs, m.Data)
	}
	s.w.dc.Append(s.w.t, "alex", "INBOX", msgs...)
	s.sent = append(s.sent, msgs...)
}

// untilDone runs fetchsecure until the server is empty after a clean exit. With
// interrupt, it kills runs (and the proxy cuts connections) until the case has had
// its share, then stops at the next empty server.
func (s *crashState) untilDone(interrupt bool) {
	t := s.w.t
	for i := 0; ; i++ {
		if i == 400 {
			t.Fatalf("not done after %d runs; their output:\n%s", i, s.output.String())
		}
		limit := []int{0, 5, 20, 40, 100}[s.rng.IntN(5)]
		s.w.writeConfig(s.w.imapCrashAccount(s.tg.line, limit, s.proxy))
		before := s.journal()
		var kill func(time.Duration) bool
		if interrupt && s.kills < s.c.kills {
			kill = s.killWhen(limit, before)
		}
		r := s.w.runKilled(kill)
		s.note(r, limit, before)
		if r.killed {
			continue
		}
		// A cut connection is a temporary failure (exit 7); nothing else may fail.
		if r.code != 0 && (r.code != 7 || s.proxy == nil || !interrupt) {
			t.Fatalf("run %d: exit %d:\n%s", s.runs, r.code, r.out)
		}
		if r.code == 0 && len(s.w.dc.Messages(t, "alex", "INBOX")) == 0 {
			return
		}
		if interrupt && s.interrupted() {
			interrupt = false // finish the round without more interruptions
			if s.proxy != nil {
				s.proxy.setCutting(false)
			}
		}
	}
}

// killWhen picks the instant of a kill. A third of the kills come at a random time
// within how long such a run took when it last finished: mostly while it connects and
// streams. The others come a random 0-10 ms after the killed run's n-th journal record
// (intent, outcome, deleted...), so that every step of the protocol is interrupted,
// however short: publishing, settling, deleting, recovering.
func (s *crashState) killWhen(limit int, j journalMark) func(time.Duration) bool {
	if s.rng.IntN(3) == 0 {
		est, ok := s.est[limit]
		if !ok {
			est = 300 * time.Millisecond
		}
		at := time.Duration(s.rng.Float64() * 1.1 * float64(est))
		return func(el time.Duration) bool { return el >= at }
	}
	records := 3 // intent, outcome, deleted
	if s.c.blind {
		records = 2*min(limit, 10) + 2 // intent and outcome of each message
	}
	delay := []time.Duration{0, 0, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond}[s.rng.IntN(5)]
	return afterRecords(j.path, 1+s.rng.IntN(records), delay)
}

// note records a run: its output, what a kill interrupted, and the messages it
// reported as maybe delivered twice.
func (s *crashState) note(r killRun, limit int, before journalMark) {
	s.runs++
	s.inRuns += r.elapsed
	fmt.Fprintf(&s.output, "--- run %d (max_messages %d, killed %v, exit %d, %v)\n%s",
		s.runs, limit, r.killed, r.code, r.elapsed.Round(time.Millisecond), r.out)
	for _, line := range strings.Split(r.out, "\n") {
		if i := strings.Index(line, "message UID "); i >= 0 && strings.Contains(line, "may have been delivered twice") {
			var uid int
			if _, err := fmt.Sscanf(line[i:], "message UID %d", &uid); err == nil {
				s.doubted[uid] = true
			}
		}
	}
	if !r.killed {
		s.est[limit] = r.elapsed
		s.exits[r.code]++
		return
	}
	s.kills++
	s.phases[s.phase(before)]++
}

// phase names what a kill interrupted, from the last record the killed run wrote to
// the state journal: nothing yet (connecting, listing, streaming the first batch),
// "intent" (publishing a batch), "settle" (deleting, or streaming the next batch),
// "deleted" (logging out).
func (s *crashState) phase(before journalMark) string {
	now := s.journal()
	switch {
	case now == before:
		return "no record"
	case now.lastOp == "":
		return "inside a record"
	}
	return "after " + now.lastOp
}

// journalMark is where the account's state journal stood.
type journalMark struct {
	path   string
	size   int64
	lastOp string
}

func (s *crashState) journal() journalMark {
	dir := filepath.Join(s.w.dir, "state", "accounts", "crash")
	names, _ := filepath.Glob(filepath.Join(dir, "journal.*"))
	if len(names) == 0 {
		return journalMark{path: filepath.Join(dir, "journal.0")}
	}
	slices.Sort(names)
	name := names[len(names)-1]
	data, err := os.ReadFile(name)
	if err != nil {
		s.w.t.Fatal(err)
	}
	m := journalMark{path: name, size: int64(len(data))}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if op := journalOp.FindStringSubmatch(lines[len(lines)-1]); op != nil {
		m.lastOp = op[1]
	}
	return m
}

var journalOp = regexp.MustCompile(`"op":"(\w+)"`)

// check asserts the outcome: the server is empty, and the target holds every message
// once (a blind target: at most once more per kill, every such message reported).
func (s *crashState) check(t *testing.T) {
	if n := len(s.w.dc.Messages(t, "alex", "INBOX")); n != 0 {
		t.Fatalf("%d messages left on the server", n)
	}
	got := s.tg.read()
	want := mapBytes(s.sent, s.tg.expect)
	if !s.c.blind {
		testlib.AssertSameMessages(t, mapBytes(got, testlib.StripTrace), want)
		return
	}
	copies := map[int]int{}
	var once [][]byte
	for _, m := range got {
		uid := uidOf(t, m)
		if copies[uid]++; copies[uid] == 1 {
			once = append(once, testlib.StripTrace(m))
		}
	}
	testlib.AssertSameMessages(t, once, want)
	extra := len(got) - len(once)
	if extra > s.kills {
		t.Errorf("%d duplicates after %d kills: more than one per kill", extra, s.kills)
	}
	for uid, n := range copies {
		if n > 1 && !s.doubted[uid] {
			t.Errorf("UID %d was delivered %d times, and no run said it may have been delivered twice", uid, n)
		}
	}
	t.Logf("%d duplicates after %d kills", extra, s.kills)
}
