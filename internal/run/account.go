package run

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/fetchsecure/fetchsecure/deliver"
	"github.com/fetchsecure/fetchsecure/deliver/maildir"
	"github.com/fetchsecure/fetchsecure/deliver/mbox"
	"github.com/fetchsecure/fetchsecure/deliver/mda"
	"github.com/fetchsecure/fetchsecure/deliver/smtp"
	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// account runs the pipeline for one account: state, target, connection, source.
func account(ctx context.Context, cfg *config.Config, a *config.Account, env *Env) ([]*fetch.FolderReport, error) {
	st, err := state.Open(state.AccountDir(cfg.StateDir, a.Name))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	sink, err := newSink(cfg, a)
	if err != nil {
		return nil, err
	}
	defer closeSink(sink)
	src, envelope, err := connect(ctx, a, env)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	job := &fetch.Job{
		Account: a.Name, Folders: a.Folders, Keep: a.Keep,
		Dedupe: a.Dedupe == config.DedupeMessageID, Limit: a.Limit,
		LimitAction: limitAction(a.LimitAction), MaxMessages: a.MaxMessages,
		Envelope: envelope, Sink: sink, State: st, Progress: env.Progress,
		Log: env.Log.With("account", a.Name), Seed: env.Seed,
	}
	job.Envelope.Received = time.Now()
	return job.Run(ctx, src)
}

func limitAction(a config.LimitAction) fetch.LimitAction {
	switch a {
	case config.LimitFetch:
		return fetch.LimitFetch
	case config.LimitPlaceholder:
		return fetch.LimitPlaceholder
	}
	return fetch.LimitSkip
}

// newSink builds the account's delivery target.
func newSink(cfg *config.Config, a *config.Account) (fetch.Sink, error) {
	trace := deliver.Trace{AddReceived: a.AddReceived, DeliverTo: a.DeliverTo, Hostname: cfg.Hostname}
	spool := filepath.Join(cfg.StateDir, "spool")
	if err := safeio.MkdirPrivate(spool); err != nil { // another user must not plant files there
		return nil, fmt.Errorf("spool directory: %w", err)
	}
	t := a.Target
	switch t.Kind {
	case config.Maildir:
		return maildir.New(t.Path, maildir.Options{Trace: trace, Folders: a.MaildirFolders})
	case config.Mbox:
		return mbox.New(t.Path, mbox.Options{Trace: trace, Spool: spool})
	case config.MDA:
		return mda.New(t.Argv, mda.Options{Trace: trace, SpoolDir: spool, DeliverTo: a.DeliverTo})
	case config.LMTP, config.SMTP:
		addr := t.Address
		if t.Network == "unix" {
			addr = "unix:" + addr
		}
		return smtp.New(addr, smtp.Options{Trace: trace, SpoolDir: spool, DeliverTo: a.DeliverTo,
			LMTP: t.Kind == config.LMTP, Hostname: cfg.Hostname})
	}
	return nil, fail.Errorf(fail.Internal, "account %s has no delivery target", a.Name)
}

func closeSink(s fetch.Sink) {
	if c, ok := s.(io.Closer); ok {
		c.Close()
	}
}
