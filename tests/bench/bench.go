package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// bench is one harness run: the servers, the mailboxes, the tools and what they did.
type bench struct {
	t        testing.TB
	opts     options
	bin      string // fetchsecure
	floor    string // tests/bench/floor
	launch   string // tests/bench/launch
	srv      *servers
	work     string // one directory per tool run
	corpus   *corpus
	main     *box // N messages
	tenth    *box // the first N/10 of them, for the linearity check
	tools    []*tool
	results  map[string]*result // by tool name
	missing  []string           // anchors not measured, and why
	extras   []*extra
	profiles []*profileSummary
	started  time.Time
	runs     int
	// keepRuns defers removing the runs' maildirs to the end, when the disk has room
	// (see planCleanup).
	keepRuns bool
	kept     []string
}

// result is every sample of one tool.
type result struct {
	tool    *tool
	samples []sample
}

// run runs the whole benchmark, printing the table to out and progress to o.log.
func run(t testing.TB, o options, out io.Writer) *report {
	b := &bench{t: t, opts: o, results: map[string]*result{}, started: time.Now()}
	b.setup()
	b.chooseTools()
	b.planCleanup()
	b.rounds()
	if o.profile {
		b.runProfiles()
	}
	if o.extras {
		b.runExtras()
	}
	b.cleanup()
	rep := b.report()
	rep.print(out)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(rep.markdown()), 0o644); err != nil {
			t.Fatalf("write the report: %v", err)
		}
		b.logf("report written to %s", o.out)
	}
	return rep
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.opts.log, "[%6.1fs] %s\n", time.Since(b.started).Seconds(), fmt.Sprintf(format, args...))
}

func (b *bench) setup() {
	b.logf("building fetchsecure, the floor client and the launcher")
	b.bin = b.opts.bin
	if b.bin == "" {
		b.bin = testlib.BuildBinary(b.t, "./cmd/fetchsecure")
	}
	b.floor = testlib.BuildBinary(b.t, "./tests/bench/floor")
	b.launch = testlib.BuildBinary(b.t, "./tests/bench/launch")
	b.work = b.t.TempDir()
	if err := os.Chmod(b.work, 0o711); err != nil {
		b.t.Fatal(err)
	}
	b.srv = startServers(b.t, b.t.TempDir())
	b.logf("Dovecot on 127.0.0.1 (IMAPS %d, POP3S %d), sshd on %s; writing %d messages",
		b.srv.dc.IMAPS, b.srv.dc.POP3S, b.srv.sshd.Addr(), b.opts.n)
	b.corpus = newCorpus(b.t, b.t.TempDir(), b.opts.seed, b.opts.n, b.srv.own)
	b.main = b.corpusBox("bench", b.opts.n)
	b.tenth = b.corpusBox("bench-tenth", b.opts.n/10)
	b.logf("mailbox: %d messages, %.0f MB; N/10: %d messages, %.0f MB",
		b.main.n, mb(b.main.stored), b.tenth.n, mb(b.tenth.stored))
}

// corpusBox fills a new user's INBOX with the first n corpus messages.
func (b *bench) corpusBox(user string, n int) *box {
	b.srv.fill(user, b.corpus, n)
	bx := &box{user: user, n: n, imap: b.corpus.expected(n, "IMAP"), pop3: b.corpus.expected(n, "POP3"), c: b.corpus}
	bx.stored, bx.served = b.corpus.size(n)
	return bx
}

// chooseTools lists what the -tools filter selects, in the order of the table.
func (b *bench) chooseTools() {
	all := []*tool{
		b.fetchsecureTool("fetchsecure IMAP TLS keep", "IMAP", "TLS", true, b.main),
		b.fetchsecureTool("fetchsecure IMAP TLS delete", "IMAP", "TLS", false, b.main),
		b.fetchsecureTool("fetchsecure IMAP SSH tunnel keep", "IMAP", "SSH", true, b.main),
		b.fetchsecureTool("fetchsecure POP3 TLS keep", "POP3", "TLS", true, b.main),
		b.fetchsecureTool("fetchsecure POP3 TLS delete", "POP3", "TLS", false, b.main),
		b.fetchsecureTool(fmt.Sprintf("fetchsecure IMAP TLS keep, N=%d", b.tenth.n), "IMAP", "TLS", true, b.tenth),
		b.floorTool("IMAP", b.main, false),
		b.floorTool("IMAP", b.main, true),
		b.floorTool("IMAP", b.tenth, true),
		b.floorTool("POP3", b.main, false),
	}
	for _, spec := range anchorSpecs {
		if !b.opts.wants(spec.name) {
			continue
		}
		tl, why := b.anchorTool(spec, b.main)
		if tl == nil {
			b.missing = append(b.missing, spec.name+": "+why)
			continue
		}
		all = append(all, tl)
	}
	for _, tl := range all {
		if b.opts.wants(tl.name) {
			b.tools = append(b.tools, tl)
			b.results[tl.name] = &result{tool: tl}
		}
	}
}

// rounds runs every tool once per round, the order rotating from round to round so
// that no tool always follows the same one, after one unmeasured warm-up round of
// the floors (Dovecot's caches then hold what every later run reads).
func (b *bench) rounds() {
	b.warm(b.main)
	b.warm(b.tenth)
	// One unmeasured run that also writes the mailbox: in three make bench runs in a
	// row, round 1's first tool (whichever it was, here always the same one) took
	// 1.5-2x its later time at twice the CPU, being the first to fill the page cache.
	if s := b.runOnce(b.floorTool("IMAP", b.main, true), nil); !s.ok() {
		b.t.Fatalf("warming the page cache with the durable floor: %s", s.err)
	}
	b.settle()
	for r := range b.opts.runs {
		shift := r * len(b.tools) / b.opts.runs
		order := append(append([]*tool{}, b.tools[shift:]...), b.tools[:shift]...)
		for _, tl := range order {
			s := b.runOnce(tl, nil)
			res := b.results[tl.name]
			res.samples = append(res.samples, s)
			b.logf("round %d/%d  %-40s %s", r+1, b.opts.runs, tl.name, s)
		}
		b.runs = r + 1
	}
}

func (s sample) String() string {
	str := fmt.Sprintf("%7.2f s  %6.1f MB RSS  %6.2f s CPU", s.wall.Seconds(), float64(s.rssKB)/1024, s.cpu.Seconds())
	if !s.ok() {
		str += "  FAILED: " + s.err
	}
	return str
}

// discard removes a run's directory, at once or, if planCleanup said so, at the end.
func (b *bench) discard(dir string) {
	if b.keepRuns {
		b.kept = append(b.kept, dir)
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		b.t.Fatalf("clean up %s: %v", dir, err)
	}
}

// planCleanup decides whether the runs' maildirs can stay until the end. Removing
// them at once would make the next runs slower than they are: on an ext4 without a
// journal (as on the machine this harness was written on) every file creation scans
// the inodes freed in the last minute (find_inode_bit → recently_deleted), so a tool
// that follows one whose 10,000 files were just deleted pays for them. Kept, they
// need about (runs × tools + profiles) × the mailbox's size of disk.
func (b *bench) planCleanup() {
	writers := 0
	for _, tl := range b.tools {
		if tl.kind != floor || tl.name == durableFloorName() {
			writers++
		}
	}
	need := uint64(b.opts.runs*writers+4)*uint64(b.main.stored)*11/10 + 4<<30
	var st syscall.Statfs_t
	if err := syscall.Statfs(b.work, &st); err == nil && st.Bavail*uint64(st.Bsize) > need {
		b.keepRuns = true
	}
	b.logf("maildirs of the runs: %s (about %.1f GB needed to keep them)",
		map[bool]string{true: "kept until the end", false: "removed after each run: too little disk"}[b.keepRuns],
		float64(need)/1e9)
}

// cleanup removes what the runs kept.
func (b *bench) cleanup() {
	b.keepRuns = false
	for _, dir := range b.kept {
		b.discard(dir)
	}
	b.kept = nil
}

// warm reads the whole box once through each floor, unmeasured.
func (b *bench) warm(bx *box) {
	for _, proto := range []string{"IMAP", "POP3"} {
		if s := b.runOnce(b.floorTool(proto, bx, false), nil); !s.ok() {
			b.t.Fatalf("warming %s's INBOX over %s: %s", bx.user, proto, s.err)
		}
	}
}

// runOnce measures one run of tl with env added, checks what it delivered, and
// puts the server back as it was.
func (b *bench) runOnce(tl *tool, env []string) sample {
	dir, err := os.MkdirTemp(b.work, "run-")
	if err == nil {
		err = os.Chmod(dir, 0o711) // getmail delivers as the mail user when run as root
	}
	if err != nil {
		b.t.Fatal(err)
	}
	defer func() {
		b.discard(dir)
		syscall.Sync() // the next run must not pay for this one's writeback
		if b.keepRuns {
			if err := evict(dir); err != nil {
				b.t.Fatalf("dropping %s from the page cache: %v", dir, err)
			}
		}
	}()
	cmd, maildir, err := tl.command(dir)
	if err != nil {
		return sample{err: err.Error()}
	}
	cmd.Env = append(cmd.Environ(), env...)
	logPath := filepath.Join(dir, "output.log")
	s := measure(b.launch, cmd, b.opts.timeout, logPath)
	if s.ok() {
		s.err = b.verify(tl, maildir, logPath)
	}
	if tl.deletes {
		b.refill(tl.box)
	}
	return s
}

func (b *bench) verify(tl *tool, maildir, logPath string) string {
	if tl.kind == floor {
		return verifyFloor(logPath, maildir, tl)
	}
	if msg := verifyMaildir(maildir, tl); msg != "" {
		return msg
	}
	if tl.deletes {
		if left := b.srv.count(tl.box.user); left != 0 {
			return fmt.Sprintf("delete mode left %d messages on the server", left)
		}
	}
	return ""
}

// refill puts the box's messages back after a delete-mode run and warms the caches.
func (b *bench) refill(bx *box) {
	if b.srv.count(bx.user) != 0 {
		b.srv.empty(bx.user)
	}
	b.srv.fill(bx.user, b.corpus, bx.n)
	b.warm(bx)
	b.settle()
}

// settle puts every tool behind the same quiet disk: sync(2), then a pause, before the
// first round and after each refill that follows a delete-mode run. On ext4 without a
// journal, as here, creating a file skips each inode freed in the last 60 s, or 360 s
// while its inode-table block is dirty, and checks them one by one (find_inode_bit →
// recently_deleted, Linux 5.8+); perf showed a run right after 10,000 deletions
// spending most of its kernel time there. sync(2) cleans the blocks, so the 60 s window
// applies; the pause does not cover it, which is why the INBOXes are hard links (a
// delete-mode run's unlinks free no inode) and the runs' maildirs are kept to the end.
func (b *bench) settle() {
	if b.opts.settle <= 0 {
		return
	}
	syscall.Sync()
	time.Sleep(b.opts.settle)
}

func mb(n int64) float64 { return float64(n) / 1e6 }
