package main

import (
	"fmt"
	"io"
	"syscall"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// wakeCommand is `fetchsecure wake`: make the daemon running on the configuration's
// state poll every account now (SIGUSR1; fetchmail's wake-up).
func wakeCommand(args []string, stdout, stderr io.Writer) int {
	var g globals
	rest, code, ok := parse("wake", args, stderr, &g, false, nil)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return report(stderr, "", fail.Errorf(fail.Usage, "usage: fetchsecure wake [-c FILE]"))
	}
	cfg, err := config.Load(g.config)
	if err != nil {
		return report(stderr, "", err)
	}
	pid, err := daemonPID(cfg.StateDir)
	if err != nil {
		return report(stderr, "", err)
	}
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		return report(stderr, "", fail.Wrap(fail.Temporary, fmt.Errorf("signal the daemon (pid %d): %w", pid, err)))
	}
	if !g.quiet {
		fmt.Fprintf(stdout, "woke the fetchsecure daemon (pid %d): it polls every account now\n", pid)
	}
	return 0
}

// daemonPID returns the PID of the daemon holding the lock of stateDir. It checks
// that the holder is a daemon: SIGUSR1 would kill most other processes.
func daemonPID(stateDir string) (int, error) {
	pid := state.Holder(stateDir)
	if pid == 0 {
		return 0, fail.Hint(fail.Usage, fmt.Errorf("no fetchsecure daemon is running on %s", stateDir),
			"start one with `fetchsecure` (or its systemd unit), or fetch now with `fetchsecure --once`")
	}
	st, err := state.ReadStatus(stateDir)
	if err != nil || st.PID != pid || st.Mode != "daemon" {
		return 0, fail.Hint(fail.Locked, fmt.Errorf("the fetchsecure holding %s (pid %d) is a --once run, not a daemon", stateDir, pid),
			"it fetches now and exits by itself")
	}
	return pid, nil
}
