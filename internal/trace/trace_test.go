package trace

import (
	"bytes"
	"fmt"
	"log/slog"
	"log/syslog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string // regexp
	}{
		{Options{Format: Human, Level: slog.LevelInfo}, `^fetchsecure: warning: fetch failed \(account=work err="no route"\)\n$`},
		{Options{Format: Human, Level: slog.LevelInfo, Time: true}, `^\d\d:\d\d:\d\d fetchsecure: warning: fetch failed \(account=work`},
		{Options{Format: Journal, Level: slog.LevelInfo}, `^<4>fetch failed \(account=work err="no route"\)\n$`},
		{Options{Format: JSON, Level: slog.LevelInfo}, `^\{"time":.*"level":"WARN","msg":"fetch failed","account":"work","err":"no route"\}\n$`},
	} {
		var b bytes.Buffer
		NewWith(&b, c.o).With("account", "work").Warn("fetch failed", "err", "no route")
		if !regexp.MustCompile(c.want).Match(b.Bytes()) {
			t.Errorf("format %v (time %v): %q does not match %s", c.o.Format, c.o.Time, b.String(), c.want)
		}
	}
}

func TestUnderJournal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stream"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JOURNAL_STREAM", "")
	if UnderJournal(f) {
		t.Error("under the journal without JOURNAL_STREAM")
	}
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))
	if !UnderJournal(f) {
		t.Error("not under the journal although JOURNAL_STREAM names the stream")
	}
	if UnderJournal(os.Stdin) {
		t.Error("another stream taken for the journal's (a child's redirected stderr)")
	}
}

// TestSyslog: records reach a syslog socket with facility mail and their level's
// severity, on one line.
func TestSyslog(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w, err := syslog.Dial("unixgram", sock, syslog.LOG_MAIL|syslog.LOG_INFO, "fetchsecure")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	log := slog.New(&handler{sys: w, level: slog.LevelInfo, mu: new(sync.Mutex)})
	log.Error("cannot write\nthe state", "account", "work")
	buf := make([]byte, 1024)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	// Facility mail (2) × 8 + severity err (3) = 19.
	if !strings.HasPrefix(got, "<19>") || !strings.Contains(got, "cannot write the state (account=work)") {
		t.Errorf("syslog received %q", got)
	}
}
