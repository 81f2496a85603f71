package trace

import (
	"fmt"
	"log/slog"
	"log/syslog"
	"os"
	"strings"
	"sync"
	"syscall"
)

// UnderJournal reports whether f is connected to systemd's journal: systemd sets
// $JOURNAL_STREAM to the device and inode ("8:12345") of the stream it gives a
// service's standard output and error (systemd.exec(5)). Comparing them with f's
// tells a service's own stderr from one a child redirected elsewhere.
func UnderJournal(f *os.File) bool {
	env := os.Getenv("JOURNAL_STREAM")
	if env == "" || f == nil {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	return env == fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

// NewSyslog returns a logger that sends to the local syslog daemon with facility
// mail, as mail software customarily does (RFC 5424 §6.2.1, facility 2).
func NewSyslog(level slog.Level) (*slog.Logger, error) {
	w, err := syslog.New(syslog.LOG_MAIL|syslog.LOG_INFO, "fetchsecure")
	if err != nil {
		return nil, fmt.Errorf("connect to syslog: %w", err)
	}
	return slog.New(&handler{sys: w, level: level, mu: new(sync.Mutex)}), nil
}

// toSyslog sends one line with the priority of its level. syslog must not see a
// newline inside a message: it would split it into two.
func toSyslog(w *syslog.Writer, l slog.Level, line string) error {
	line = strings.ReplaceAll(line, "\n", " ")
	switch priority(l) {
	case 3:
		return w.Err(line)
	case 4:
		return w.Warning(line)
	case 6:
		return w.Info(line)
	}
	return w.Debug(line)
}
