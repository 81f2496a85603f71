package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// LimitAction says what happens to a message larger than Job.Limit.
type LimitAction int

const (
	LimitSkip        LimitAction = iota // leave it on the server, warn every run
	LimitFetch                          // fetch it anyway, warn
	LimitPlaceholder                    // deliver a short notice instead, leave it on the server
)

// Job is everything the pipeline needs to fetch one account.
type Job struct {
	Account     string
	Folders     []string
	Keep        bool // false: delete from the server after durable delivery
	Dedupe      bool // skip messages whose Message-ID was delivered before
	Limit       int64
	LimitAction LimitAction
	MaxMessages int // per run; 0 = no limit
	// Seed marks every message now on the server as handled without fetching or
	// deleting anything, so that switching from another fetcher that kept mail on the
	// server does not deliver the whole mailbox again (pullimap's --no-delivery).
	Seed bool

	Envelope Envelope // Server, Protocol and Security filled in by the caller
	Sink     Sink
	State    *state.Store
	Log      *slog.Logger   // names the account itself (slog.Logger.With)
	Progress func(Progress) // called as messages arrive; may be nil

	BatchMessages int   // messages per durable batch; default 256
	BatchBytes    int64 // announced bytes per batch; default 64 MiB
}

// Progress reports how far a folder is.
type Progress struct {
	Account, Folder string
	Messages, Total int
	Bytes           int64
}

// FolderReport says what happened to one folder.
type FolderReport struct {
	Folder     string
	New        int   // messages the state did not know
	Delivered  int   // delivered durably in this run
	Bytes      int64 // bytes delivered
	Duplicates int   // skipped because their Message-ID was delivered before
	Skipped    int   // left on the server by the size limit
	Failed     int   // delivery failed; kept on the server, tried again next run
	Deleted    int   // deleted on the server in this run
	Recovered  int   // deliveries of an interrupted run found complete
	Doubtful   int   // deliveries of an interrupted run the target could not confirm: redone, maybe twice
	Seeded     int   // marked as handled without delivery (Job.Seed)
	Elapsed    time.Duration
	Warnings   []string
	Senders    []string // From: of the first messages delivered (at most MaxSenders)
	Err        error
}

// MaxSenders bounds FolderReport.Senders: enough for a desktop notification.
const MaxSenders = 5

// Run fetches every folder of the job from src. One folder's failure does not stop
// the others unless the session itself is broken. The error joins the folders' errors.
func (j *Job) Run(ctx context.Context, src Source) ([]*FolderReport, error) {
	j.defaults()
	var reports []*FolderReport
	var errs []error
	remaining := j.MaxMessages
	for _, name := range j.Folders {
		fr := &FolderReport{Folder: name}
		reports = append(reports, fr)
		start := time.Now()
		fr.Err = j.folder(ctx, src, fr, &remaining)
		fr.Elapsed = time.Since(start)
		if fr.Err != nil {
			errs = append(errs, fmt.Errorf("folder %s: %w", name, fr.Err))
			if broken(ctx, fr.Err) {
				break
			}
		}
	}
	return reports, errors.Join(errs...)
}

// broken reports whether an error leaves the session unusable for other folders.
func broken(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}
	switch fail.KindOf(err) {
	case fail.Temporary, fail.Protocol, fail.Security, fail.Auth, fail.Internal:
		return true
	}
	return false
}

func (j *Job) defaults() {
	if j.BatchMessages <= 0 {
		j.BatchMessages = 256
	}
	if j.BatchBytes <= 0 {
		j.BatchBytes = 64 << 20
	}
	if j.Log == nil {
		j.Log = slog.New(slog.DiscardHandler)
	}
	if j.Progress == nil {
		j.Progress = func(Progress) {}
	}
}
