package tests

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/state"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestDaemonBackoff: an account whose server is down is retried with growing,
// bounded delays, while a healthy account keeps receiving its mail.
func TestDaemonBackoff(t *testing.T) {
	w := newWorld(t)
	down := testlib.LoopbackPort(t) // nothing listens there
	mdDown := filepath.Join(w.dir, "Down")
	w.writeConfig(`poll_interval = "1s"`+"\n",
		w.imapAccount("down", fmt.Sprintf("port = %d", down), fmt.Sprintf("maildir = %q", mdDown)),
		w.imapAccount("alex"))
	d := w.startDaemon()
	seen := map[int]time.Duration{} // attempt → retry delay shown in the status
	eventually(t, "four failed attempts", func() bool {
		if a := account(w.status(), "down"); a != nil && a.Failures > 0 {
			seen[a.Failures] = time.Duration(a.RetryDelay)
		}
		return len(seen) >= 4
	}, d)
	// poll_interval 1s: base 1s, cap 8s, jitter shortens by up to a fifth.
	for attempt, delay := range seen {
		want := min(time.Second<<(attempt-1), 8*time.Second)
		if delay > want || delay < want*4/5-time.Millisecond {
			t.Errorf("attempt %d: retry in %v, want %v minus up to 20%%", attempt, delay, want)
		}
	}
	if !strings.Contains(d.out.String(), "retry_in=") {
		t.Errorf("the log does not say when the account is retried:\n%s", d.out.String())
	}
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: while the other server is down\n\nx\n"))
	eventually(t, "the healthy account's mail", func() bool { return maildirCount(w.maildir) == 1 }, d)
	r := w.sub("status")
	if !strings.Contains(string(r.Stdout), "down: FAILING") || !strings.Contains(string(r.Stdout), "backing off") {
		t.Errorf("status does not show the failing account backing off:\n%s", r)
	}
	t.Logf("status:\n%s", r.Stdout)
}

// TestDaemonPollsWithoutIdle: a server that does not offer IDLE is polled every
// poll_interval, and the status says so.
func TestDaemonPollsWithoutIdle(t *testing.T) {
	w := newWorldWith(t, testlib.DovecotOptions{ExtraConfig: "protocol imap {\n  imap_capability = IMAP4rev1 SASL-IR LITERAL+ UIDPLUS AUTH=PLAIN\n}\n"})
	w.writeConfig(`poll_interval = "2s"`+"\n", w.imapAccount("alex"))
	d := w.startDaemon()
	d.waitLog("does not offer IDLE")
	w.dc.Append(t, "alex", "INBOX", []byte("Subject: polled\n\nx\n"))
	eventually(t, "polled mail", func() bool { return maildirCount(w.maildir) == 1 }, d)
	eventually(t, "the status to say INBOX is polled", func() bool {
		a := account(w.status(), "alex")
		return a != nil && a.Folder("INBOX").Watch == "polled"
	}, d)
}

func account(st *state.Status, name string) *state.AccountStatus {
	for _, a := range st.Accounts {
		if a.Name == name {
			return a
		}
	}
	return nil
}
