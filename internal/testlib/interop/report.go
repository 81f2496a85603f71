package interop

import (
	"encoding/json"
	"os"
	"sync"
	"testing"
)

// ReportEnv names the file the matrix appends its results to, one JSON object a
// line; when it is unset nothing is recorded. `make interop` sets it and renders the
// file with ./internal/testlib/interop/table.
const ReportEnv = "FETCHSECURE_INTEROP_REPORT"

// Result is one cell of the compatibility matrix.
type Result struct {
	Server   string `json:"server"`
	Protocol string `json:"protocol"` // IMAP, POP3, SMTP, LMTP
	TLS      string `json:"tls"`      // TLS, STARTTLS, none
	Via      string `json:"via"`      // direct, SSH
	Mode     string `json:"mode"`     // keep, delete, NUL, deliver, 4xx, 5xx
	Outcome  string `json:"outcome"`  // pass, FAIL, skip
	Detail   string `json:"detail,omitempty"`
}

// Caps are the capabilities a server announced to a logged-in client.
type Caps struct {
	Server   string   `json:"server"`
	Protocol string   `json:"protocol"`
	Caps     []string `json:"caps"`
	Greeting string   `json:"greeting,omitempty"`
}

// Entry is one line of the report file: a Result or a Caps.
type Entry struct {
	Result *Result `json:"result,omitempty"`
	Caps   *Caps   `json:"caps,omitempty"`
}

var reportMu sync.Mutex

// Record appends r to the report when t ends, with its outcome: pass, FAIL or skip,
// and detail, if r has none, saying why it failed or was skipped.
func Record(t testing.TB, r Result, detail func() string) {
	t.Cleanup(func() {
		switch {
		case t.Skipped():
			r.Outcome = "skip"
		case t.Failed():
			r.Outcome = "FAIL"
		default:
			r.Outcome = "pass"
		}
		if r.Outcome != "pass" && detail != nil {
			r.Detail = detail()
		}
		appendReport(t, Entry{Result: &r})
	})
}

// RecordCaps appends c to the report.
func RecordCaps(t testing.TB, c Caps) { appendReport(t, Entry{Caps: &c}) }

func appendReport(t testing.TB, e Entry) {
	path := os.Getenv(ReportEnv)
	if path == "" {
		return
	}
	line, err := json.Marshal(e)
	if err != nil {
		t.Errorf("report: %v", err)
		return
	}
	reportMu.Lock()
	defer reportMu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err == nil {
		_, err = f.Write(append(line, '\n'))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		t.Errorf("report: %v", err)
	}
}
