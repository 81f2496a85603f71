package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// profileSummary is where one fetchsecure run spent its CPU time, from a CPU profile
// taken through the hidden FETCHSECURE_CPUPROFILE variable, and, for one IMAP run,
// where its goroutines waited, from an execution trace (FETCHSECURE_TRACE).
type profileSummary struct {
	name    string
	run     sample
	total   time.Duration // CPU time in the profile
	top     []profLine    // functions by flat time
	groups  []profLine    // flat time by area (see area)
	blocked []profLine    // from the trace: time blocked in system calls and on the network
	err     string
}

type profLine struct {
	name       string
	flat, cum  time.Duration
	flatShare  float64
	blockShare string
}

// runProfiles takes a CPU profile of fetchsecure over IMAP, POP3 and the SSH tunnel,
// and an execution trace of one IMAP run. They are separate from the measured runs:
// profiling costs time.
func (b *bench) runProfiles() {
	dir := b.opts.keep
	if dir == "" {
		dir = b.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatalf("profiles directory: %v", err)
	}
	modes := []struct{ proto, transport string }{{"IMAP", "TLS"}, {"POP3", "TLS"}, {"IMAP", "SSH"}}
	for _, m := range modes {
		name := fmt.Sprintf("fetchsecure %s %s keep", m.proto, m.transport)
		tl := b.fetchsecureTool(name, m.proto, m.transport, true, b.main)
		file := filepath.Join(dir, strings.ToLower(m.proto+"-"+m.transport)+".pprof")
		ps := &profileSummary{name: name, run: b.runOnce(tl, []string{"FETCHSECURE_CPUPROFILE=" + file})}
		if ps.run.ok() {
			ps.readCPU(file)
		} else {
			ps.err = ps.run.err
		}
		b.profiles = append(b.profiles, ps)
		b.logf("profiled %-36s %s", name, ps.run)
	}
	tl := b.fetchsecureTool("fetchsecure IMAP TLS keep", "IMAP", "TLS", true, b.main)
	trace := filepath.Join(dir, "imap.trace")
	if s := b.runOnce(tl, []string{"FETCHSECURE_TRACE=" + trace}); s.ok() {
		b.profiles[0].readTrace(trace, s.wall)
	}
}

var pprofLine = regexp.MustCompile(`^\s*([\d.]+)ms\s+([\d.]+)%\s+[\d.]+%\s+([\d.]+)ms\s+[\d.]+%\s+(.+)$`)

// syscallPlumbing are the frames between a Go call and the kernel. Hiding them moves
// their time to the call that made the system call: os.(*File).Sync, the maildir's
// file creation, a socket read.
const syscallPlumbing = `^(internal/runtime/syscall|syscall\.|internal/poll\.|os\.ignoringEINTR)`

// pprofTop runs `go tool pprof -top` on a profile, system call plumbing hidden, and
// parses its rows.
func pprofTop(file string, extra ...string) ([]profLine, error) {
	args := append([]string{"tool", "pprof", "-top", "-unit=ms", "-nodecount=100000", "-hide=" + syscallPlumbing}, extra...)
	out, err := exec.Command("go", append(args, file)...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go tool pprof: %v: %s", err, bytes.TrimSpace(out))
	}
	var lines []profLine
	for _, l := range strings.Split(string(out), "\n") {
		m := pprofLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		lines = append(lines, profLine{name: m[4], flat: ms(m[1]), cum: ms(m[3])})
	}
	return lines, nil
}

func ms(s string) time.Duration {
	f, _ := strconv.ParseFloat(s, 64)
	return time.Duration(f * float64(time.Millisecond))
}

func (ps *profileSummary) readCPU(file string) {
	lines, err := pprofTop(file)
	if err != nil {
		ps.err = err.Error()
		return
	}
	byArea := map[string]time.Duration{}
	for _, l := range lines {
		ps.total += l.flat
		byArea[area(l.name)] += l.flat
	}
	for _, l := range lines[:min(len(lines), 15)] {
		l.flatShare = share(l.flat, ps.total)
		ps.top = append(ps.top, l)
	}
	for name, d := range byArea {
		ps.groups = append(ps.groups, profLine{name: name, flat: d, flatShare: share(d, ps.total)})
	}
	slices.SortFunc(ps.groups, func(a, b profLine) int { return int(b.flat - a.flat) })
}

func share(d, total time.Duration) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(d) / float64(total)
}

// areas map function names to what they do, first match wins.
var areas = []struct{ prefix, area string }{
	{"github.com/fetchsecure/fetchsecure/internal/safeio.(*Dir).Open", "file creation in tmp/ (openat)"},
	{"os.OpenFile", "file creation (openat)"},
	{"os.(*File).Sync", "fsync"},
	{"github.com/fetchsecure/fetchsecure/internal/safeio.(*Dir).Sync", "fsync"},
	{"golang.org/x/sys/unix.Syncfs", "syncfs"},
	{"golang.org/x/sys/unix.SyncFileRange", "writeback check (sync_file_range)"},
	{"os.(*File).Write", "file writes"},
	{"os.(*File).write", "file writes"},
	{"github.com/fetchsecure/fetchsecure/internal/safeio.(*Dir).Rename", "rename into new/"},
	{"net.(*netFD).Read", "socket reads"},
	{"net.(*netFD).Write", "socket writes"},
	{"crypto/internal/fips140/aes", "TLS/SSH: AES-GCM/CTR"},
	{"crypto/", "TLS/SSH: other crypto"},
	{"vendor/golang.org/x/crypto", "TLS/SSH: other crypto"},
	{"golang.org/x/crypto/ssh", "SSH protocol (x/crypto/ssh)"},
	{"golang.org/x/crypto", "TLS/SSH: other crypto"},
	{"runtime.memmove", "memory copies (memmove)"},
	{"runtime.memclr", "memory clearing"},
	{"indexbytebody", "byte scans (IndexByte)"},
	{"internal/bytealg", "byte scans (IndexByte)"},
	{"runtime.mallocgc", "allocation and GC"},
	{"runtime.gc", "allocation and GC"},
	{"runtime.scanobject", "allocation and GC"},
	{"runtime.scanObject", "allocation and GC"},
	{"runtime.greyobject", "allocation and GC"},
	{"runtime.findObject", "allocation and GC"},
	{"runtime.markBits", "allocation and GC"},
	{"runtime.(*mspan)", "allocation and GC"},
	{"runtime.(*mheap)", "allocation and GC"},
	{"runtime.(*mcache)", "allocation and GC"},
	{"runtime.(*gcWork)", "allocation and GC"},
	{"runtime.", "runtime: scheduler, netpoll, other"},
	{"github.com/emersion/go-imap", "go-imap"},
	{"github.com/fetchsecure/fetchsecure/fetch/pop3", "fetchsecure fetch/pop3"},
	{"github.com/fetchsecure/fetchsecure/fetch/imap", "fetchsecure fetch/imap"},
	{"github.com/fetchsecure/fetchsecure/deliver", "fetchsecure deliver"},
	{"github.com/fetchsecure/fetchsecure/tunnel", "fetchsecure tunnel"},
	{"github.com/fetchsecure/fetchsecure/internal/state", "fetchsecure state"},
	{"github.com/fetchsecure/fetchsecure/", "fetchsecure, other"},
	{"bufio.", "bufio, io, bytes"},
	{"io.", "bufio, io, bytes"},
	{"bytes.", "bufio, io, bytes"},
}

func area(fn string) string {
	for _, a := range areas {
		if strings.HasPrefix(fn, a.prefix) {
			return a.area
		}
	}
	return "other"
}

// readTrace turns the execution trace into blocking profiles: where goroutines sat
// in system calls (fsync, file creation, writes) and how long they waited for the
// server, the TLS handshake apart.
func (ps *profileSummary) readTrace(file string, wall time.Duration) {
	for _, kind := range []string{"syscall", "net"} {
		out, err := exec.Command("go", "tool", "trace", "-pprof="+kind, file).Output()
		if err != nil {
			ps.blocked = append(ps.blocked, profLine{name: kind + ": " + err.Error()})
			continue
		}
		prof := file + "." + kind
		if err := os.WriteFile(prof, out, 0o600); err != nil {
			continue
		}
		lines, err := pprofTop(prof)
		if err != nil {
			continue
		}
		ps.blocked = append(ps.blocked, blockedBy(kind, lines, wall)...)
	}
}

// blockedBy keeps the total and the largest entries.
func blockedBy(kind string, lines []profLine, wall time.Duration) []profLine {
	var total time.Duration
	for _, l := range lines {
		total += l.flat
	}
	what := map[string]string{"syscall": "in system calls", "net": "waiting for the network"}[kind]
	out := []profLine{{name: "all time " + what, cum: total,
		blockShare: fmt.Sprintf("%.1f× the wall time (goroutines overlap)", total.Seconds()/wall.Seconds())}}
	for _, l := range lines {
		if l.flat > total/100 && len(out) < 7 {
			out = append(out, profLine{name: l.name, cum: l.flat, blockShare: fmt.Sprintf("%.0f%%", share(l.flat, total))})
		}
		if kind == "net" && strings.HasPrefix(l.name, "crypto/tls.(*Conn).HandshakeContext") {
			out = append(out, profLine{name: l.name + " (cum)", cum: l.cum, blockShare: fmt.Sprintf("%.0f%%", share(l.cum, total))})
		}
	}
	return out
}
