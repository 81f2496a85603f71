package schedule

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// sdNotify sends a state such as "READY=1" to the service manager, as sd_notify(3)
// does: one datagram to the unix socket named by $NOTIFY_SOCKET ("@name" is an
// abstract socket, which package net spells the same way). Without the variable
// (not started by systemd with Type=notify) it does nothing.
func sdNotify(state string) error {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify systemd: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("notify systemd: %w", err)
	}
	return nil
}

// watchdogInterval is how often systemd wants WATCHDOG=1 (WatchdogSec= in the unit):
// half of $WATCHDOG_USEC, as sd_watchdog_enabled(3) advises, or 0 when the watchdog
// is off or meant for another process ($WATCHDOG_PID).
func watchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}
