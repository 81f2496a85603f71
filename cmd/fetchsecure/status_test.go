package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/state"
)

func TestRenderStatus(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 4, 11, 0, time.Local)
	st := &state.Status{PID: 4242, Mode: "daemon", Started: now.Add(-2*time.Hour - 5*time.Minute), Updated: now}
	work := st.Account("work")
	work.LastAttempt, work.LastSuccess, work.NextPoll, work.Fetched = now.Add(-3*time.Minute), now.Add(-3*time.Minute), now.Add(2*time.Minute), 1520
	in := work.Folder("INBOX")
	in.Watch, in.LastSuccess, in.Fetched = "idle", now.Add(-3*time.Minute), 1500
	lists := work.Folder("Lists/go")
	lists.Watch, lists.LastError, lists.Fetched = "polled", `cannot open folder "Lists/go": no such folder`, 20
	isp := st.Account("isp")
	isp.LastAttempt, isp.Failures, isp.RetryDelay = now, 3, state.Duration(time.Minute)
	isp.NextPoll, isp.LastError = now.Add(time.Minute), "connect to pop.isp.example: connection refused"
	isp.LastSuccess = time.Date(2026, 11, 20, 9, 10, 0, 0, time.Local)
	isp.Folder("INBOX").Watch = "polled"

	var b bytes.Buffer
	renderStatus(&b, st, true, now)
	got := b.String()
	for _, want := range []string{
		"fetchsecure daemon running (pid 4242) since 09:59:11 (2h5m ago)",
		"work: ok; last success 12:01:11 (3m ago); next poll 12:06:11 (in 2m); 1520 fetched",
		"  INBOX     IDLE    last success 12:01:11 (3m ago)  1500 fetched",
		`  Lists/go: cannot open folder "Lists/go": no such folder`,
		"isp: FAILING (3 attempts in a row); last success 2026-11-20 09:10 (7d ago); backing off 1m, next try 12:05:11 (in 1m); 0 fetched",
		"  last error: connect to pop.isp.example: connection refused",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	b.Reset()
	renderStatus(&b, st, false, now)
	if got := b.String(); !strings.Contains(got, "not running") || strings.Contains(got, "next poll") || strings.Contains(got, "IDLE") {
		t.Errorf("status of a stopped daemon:\n%s", got)
	}
}

func TestShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45s", 3 * time.Minute: "3m", 2*time.Hour + 5*time.Minute: "2h5m",
		5 * time.Hour: "5h", 7 * 24 * time.Hour: "7d",
	} {
		if got := short(d); got != want {
			t.Errorf("short(%v) = %q, want %q", d, got, want)
		}
	}
}
