// Package run turns the configuration into running fetches: for each account it
// dials through package tunnel, opens the IMAP or POP3 source, builds the delivery
// target and runs the fetch pipeline against the account's state. The command
// (--once) and the daemon (package schedule) both use it, so an account is fetched
// the same way whoever asks.
package run

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/tunnel"
)

// Env is what a run needs from its surroundings.
type Env struct {
	Log         *slog.Logger
	Dialer      *tunnel.Dialer
	Interactive bool                           // a terminal is there to ask for missing secrets
	Prompt      func(q string) (string, error) // nil when not interactive
	Progress    func(fetch.Progress)           // may be nil
	Seed        bool                           // mark what is on the server as handled, fetch nothing
	Only        []string                       // account names to run; nil = every enabled account
}

// Result is what happened to one account.
type Result struct {
	Account string
	Folders []*fetch.FolderReport
	Err     error
	Elapsed time.Duration
}

// NewDialer returns a dialer that knows the config's tunnels.
func NewDialer(cfg *config.Config, prompt func(string) (string, error)) *tunnel.Dialer {
	d := &tunnel.Dialer{Tunnels: map[string]*tunnel.SSHOptions{}, Prompt: prompt}
	for name, t := range cfg.Tunnels {
		d.Tunnels[name] = sshOptions(t)
	}
	return d
}

// Once fetches every enabled account, at most cfg.MaxParallel at a time; one account's
// trouble does not stop the others. Results come in config order.
func Once(ctx context.Context, cfg *config.Config, env *Env) []*Result {
	var accounts []*config.Account
	for _, a := range cfg.Accounts {
		if a.Enabled && (env.Only == nil || slices.Contains(env.Only, a.Name)) {
			accounts = append(accounts, a)
		}
	}
	results := make([]*Result, len(accounts))
	sem := make(chan struct{}, max(cfg.MaxParallel, 1))
	var wg sync.WaitGroup
	for i, a := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = Account(ctx, cfg, a, env)
		}()
	}
	wg.Wait()
	return results
}

// Account fetches one account.
func Account(ctx context.Context, cfg *config.Config, a *config.Account, env *Env) *Result {
	start := time.Now()
	res := &Result{Account: a.Name}
	res.Folders, res.Err = account(ctx, cfg, a, env)
	res.Elapsed = time.Since(start)
	return res
}

// Failed returns the error of every failed account, joined, or nil.
func Failed(results []*Result) error {
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}

// Kind returns the kind that sums up the failures of a run: the kind all failed
// accounts share, or fail.Internal with mixed = true when they differ.
func Kind(results []*Result) (kind fail.Kind, mixed bool, failed bool) {
	first := true
	for _, r := range results {
		if r.Err == nil {
			continue
		}
		k := fail.KindOf(r.Err)
		switch {
		case first:
			kind, first, failed = k, false, true
		case k != kind:
			mixed = true
		}
	}
	return kind, mixed, failed
}

// sshOptions translates a [tunnel.NAME] table for package tunnel.
func sshOptions(t *config.Tunnel) *tunnel.SSHOptions {
	o := &tunnel.SSHOptions{Name: t.Name, Host: t.Host, Port: t.Port, User: t.User,
		IdentityFiles: t.IdentityFiles, PassphraseCommand: t.Passphrase.Command,
		KnownHosts: t.KnownHosts, HostKey: t.HostKey, Keepalive: t.Keepalive, Timeout: t.Timeout}
	if t.Jump != nil {
		o.Jump = t.Jump.Name
	}
	return o
}
