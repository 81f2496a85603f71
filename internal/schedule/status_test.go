package schedule

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/run"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

func TestRecordAfterOnce(t *testing.T) {
	cfg := testConfig(t, "a", "b")
	cfg.Accounts[0].Folders = []string{"INBOX", "Lists"}
	results := []*run.Result{
		{Account: "a", Folders: []*fetch.FolderReport{{Folder: "INBOX", Delivered: 3}, {Folder: "Lists", Delivered: 1}}},
		{Account: "b", Err: fail.Wrap(fail.Auth, errors.New("login refused\nsecond line"))},
	}
	if err := Record(cfg, results); err != nil {
		t.Fatal(err)
	}
	if err := Record(cfg, results[:1]); err != nil { // totals add up across runs
		t.Fatal(err)
	}
	st, err := state.ReadStatus(cfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := st.Account("a"), st.Account("b")
	if st.Mode != "once" || st.PID != os.Getpid() || a.Fetched != 8 || a.Folder("INBOX").Fetched != 6 ||
		a.Folder("Lists").LastNew != 1 || a.LastSuccess.IsZero() || a.Failures != 0 {
		t.Errorf("account a: %+v", a)
	}
	if b.LastError != "login refused; second line" || b.ErrorKind != fail.Auth.String() || b.Failures != 1 || !b.LastSuccess.IsZero() {
		t.Errorf("account b: %+v", b)
	}
	cfg.Accounts = cfg.Accounts[:1] // b removed from the config
	if err := Record(cfg, nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := state.ReadStatus(cfg.StateDir); len(st.Accounts) != 1 || len(st.Accounts[0].Folders) != 2 {
		t.Errorf("after removing b: %+v", st.Accounts)
	}
}

func TestSummary(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := &state.Status{}
	a := s.Account("a")
	a.NextPoll = now.Add(time.Minute)
	a.Folder("INBOX").Watch = watchIdle
	b := s.Account("b")
	b.Failures, b.NextPoll = 2, now.Add(30*time.Second)
	if got := summary(s); got != "2 accounts, 1 folders on IDLE, 1 failing, next poll 12:00:30" {
		t.Errorf("summary = %q", got)
	}
	if !strings.HasPrefix(summary(&state.Status{}), "0 accounts") {
		t.Error("empty summary")
	}
}
