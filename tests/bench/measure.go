package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// sample is one measured run of a tool.
type sample struct {
	wall  time.Duration
	cpu   time.Duration // user + system, the tool's waited-for children included
	rssKB int64         // peak resident set of the tool or of one of its children
	err   string        // "" when the run exited well and delivered every message intact
}

func (s sample) ok() bool { return s.err == "" }

// measure runs cmd through the launcher (tests/bench/launch), with its output in
// logPath, and reads what the launcher saw: the wall time around the tool and
// wait4's rusage, which on Linux covers the tool and every descendant it waited for
// (procmail, ssh), ru_maxrss being the largest of them.
func measure(launcher string, cmd *exec.Cmd, timeout time.Duration, logPath string) sample {
	log, err := os.Create(logPath)
	if err != nil {
		return sample{err: err.Error()}
	}
	defer log.Close()
	reportPath := logPath + ".rusage"
	l := exec.Command(launcher, append([]string{reportPath, cmd.Path}, cmd.Args[1:]...)...)
	l.Env, l.Dir = cmd.Env, cmd.Dir
	l.Stdout, l.Stderr = log, log
	l.WaitDelay = 5 * time.Second
	l.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := l.Start(); err != nil {
		return sample{err: fmt.Sprintf("start %s: %v", filepath.Base(cmd.Path), err)}
	}
	// Killing the process group also ends an ssh plugin or an MDA left running.
	stop := context.AfterFunc(ctx, func() { _ = syscall.Kill(-l.Process.Pid, syscall.SIGKILL) })
	_ = l.Wait()
	stop()
	if ctx.Err() != nil {
		return sample{err: fmt.Sprintf("killed after %v", timeout)}
	}
	var s sample
	var wall, user, sys, code int64
	report, err := os.ReadFile(reportPath)
	if err == nil {
		_, err = fmt.Sscan(string(report), &wall, &user, &sys, &s.rssKB, &code)
	}
	if err != nil {
		return sample{err: fmt.Sprintf("%s did not run: %s", filepath.Base(cmd.Path), tail(logPath, 5))}
	}
	s.wall, s.cpu = time.Duration(wall), time.Duration(user+sys)
	if code != 0 {
		s.err = fmt.Sprintf("exit status %d; output: %s", code, tail(logPath, 5))
	}
	return s
}

// tail returns the last n lines of a file, on one line.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// median is the median sample of the successful ones: the middle one of an odd
// count, else the mean of the two middle values, each measure on its own.
func median(ss []sample) (sample, bool) {
	var good []sample
	for _, s := range ss {
		if s.ok() {
			good = append(good, s)
		}
	}
	if len(good) == 0 {
		return sample{}, false
	}
	return sample{
		wall:  medianOf(good, func(s sample) time.Duration { return s.wall }),
		cpu:   medianOf(good, func(s sample) time.Duration { return s.cpu }),
		rssKB: slices.MaxFunc(good, func(a, b sample) int { return int(a.rssKB - b.rssKB) }).rssKB,
	}, true
}

func medianOf(ss []sample, f func(sample) time.Duration) time.Duration {
	v := make([]time.Duration, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// writeFile writes a file the tools read; configs holding a password are 0600, as
// fetchsecure, fetchmail and mpop demand.
func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o600)
}

// version returns the first line of a command's output, or "".
func version(name string, args ...string) string {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run()
	line, _, _ := strings.Cut(strings.TrimSpace(out.String()), "\n")
	return strings.TrimSpace(line)
}
