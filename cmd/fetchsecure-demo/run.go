package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runTimeout bounds one fetchsecure run, so that a hung run fails the demo instead of
// hanging it. Every run takes well under a second.
const runTimeout = 2 * time.Minute

// fetchsecure runs the binary with args, shows the command and its output, and fails
// unless it exits with 0. The user's ssh-agent is kept out of it: the demo's tunnel
// uses the key it made.
func (d *demo) fetchsecure(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "SSH_AUTH_SOCK=") })
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	fmt.Fprintf(d.out, "$ %s %s\n", d.bin, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		return err
	}
	d.probe.pid.Store(int64(cmd.Process.Pid))
	err := cmd.Wait()
	d.probe.pid.Store(0)
	fmt.Fprint(d.out, indent(out.String()))
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("fetchsecure %s did not finish within %s", args[0], runTimeout)
	case errors.As(err, &exit):
		return fmt.Errorf("fetchsecure %s exited with %d (its output is above)", args[0], exit.ExitCode())
	}
	return err
}

// probe looks into the fetchsecure process from the SSH server, each time the process
// asks for a tunnel channel: at that moment its SSH connection is up and any port
// forwarder would be listening.
type probe struct {
	pid   atomic.Int64 // the running fetchsecure, 0 between runs
	mu    sync.Mutex
	looks []look
}

type look struct {
	pid      int
	sockets  []socket
	children []string // "pid name" of each child process
	err      error
}

// look is the SSH server's hook; channels opened by anyone else are ignored.
func (p *probe) look() {
	pid := int(p.pid.Load())
	if pid == 0 {
		return
	}
	l := look{pid: pid}
	l.sockets, l.err = socketsOf(pid)
	if l.err == nil {
		l.children, l.err = childrenOf(pid)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.looks = append(p.looks, l)
}

// childrenOf lists the child processes of pid (proc(5): /proc/PID/task/TID/children).
func childrenOf(pid int) ([]string, error) {
	files, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("cannot read the children of process %d", pid)
	}
	var kids []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, k := range strings.Fields(string(b)) {
			comm, _ := os.ReadFile(filepath.Join("/proc", k, "comm"))
			kids = append(kids, k+" "+strings.TrimSpace(string(comm)))
		}
	}
	return kids, nil
}

// tunnelReport shows what the probe saw and fails if fetchsecure listened anywhere or
// ran a program, or if the probe could not see the SSH connection it must have seen.
func (d *demo) tunnelReport() error {
	d.section("The SSH tunnel, seen from inside the fetchsecure process")
	if runtime.GOOS != "linux" {
		fmt.Fprintln(d.out, "(skipped: reading another process's sockets needs Linux's /proc)")
		return nil
	}
	d.probe.mu.Lock()
	looks := d.probe.looks
	d.probe.mu.Unlock()
	pids := map[int]bool{}
	for _, l := range looks {
		if err := d.judge(l); err != nil {
			return err
		}
		pids[l.pid] = true
	}
	if len(pids) != 3 {
		return fmt.Errorf("%d fetch runs asked the SSH server for a channel, want all 3", len(pids))
	}
	fmt.Fprintf(d.out, "When fetchsecure (pid %d) asked the SSH server for its channel, it held these sockets:\n", looks[0].pid)
	for _, s := range looks[0].sockets {
		note := ""
		if s.remote == d.ssh.addr {
			note = "   <- the SSH connection; IMAP runs inside it"
		}
		fmt.Fprintf(d.out, "    %s%s\n", s, note)
	}
	fmt.Fprintf(d.out, "Listening sockets: none. Child processes: none (no ssh program). Same in all %d runs.\n", len(pids))
	return nil
}

// judge checks one look.
func (d *demo) judge(l look) error {
	if l.err != nil {
		return fmt.Errorf("look into fetchsecure (pid %d): %w", l.pid, l.err)
	}
	sawSSH := false
	for _, s := range l.sockets {
		if s.listening {
			return fmt.Errorf("fetchsecure (pid %d) has a listening socket: %s", l.pid, s)
		}
		sawSSH = sawSSH || s.remote == d.ssh.addr
	}
	if !sawSSH {
		return fmt.Errorf("fetchsecure (pid %d): no socket to the SSH server %s among %v; the check cannot be trusted", l.pid, d.ssh.addr, l.sockets)
	}
	if len(l.children) > 0 {
		return fmt.Errorf("fetchsecure (pid %d) runs other programs: %v", l.pid, l.children)
	}
	return nil
}
