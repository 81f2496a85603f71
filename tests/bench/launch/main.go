// Command launch runs one tool for the benchmark harness (tests/bench) and writes its
// wall time, CPU time and peak RSS to a file:
//
//	launch REPORT COMMAND [ARG...]
//
// REPORT receives one line, "wall_ns user_ns sys_ns maxrss_kb exit_code", from
// wait4's rusage, which covers the tool and the children it waited for.
//
// Why a program of its own: Linux carries the peak RSS of the process image that an
// exec replaces into the new image's ru_maxrss (exec_mmap → setmax_mm_hiwater_rss),
// and os/exec starts a child that shares its parent's memory until the exec. Started
// straight from the harness, which holds tens of MB, every tool would report at least
// that. This launcher imports next to nothing, so the floor it sets is about 2 MB.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: launch REPORT COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	begin := time.Now()
	err := cmd.Run()
	wall := time.Since(begin)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "launch:", err)
		os.Exit(1)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		ru = &syscall.Rusage{}
	}
	line := fmt.Sprintf("%d %d %d %d %d\n", wall.Nanoseconds(), ru.Utime.Nano(), ru.Stime.Nano(), ru.Maxrss,
		cmd.ProcessState.ExitCode())
	if err := os.WriteFile(os.Args[1], []byte(line), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "launch:", err)
		os.Exit(1)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
