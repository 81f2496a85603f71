package run

import (
	"context"

	"github.com/fetchsecure/fetchsecure/fetch/imap"
	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// Watch connects to an IMAP account on a connection of its own and starts watching
// folder with IDLE (RFC 2177). The watcher owns the connection; its Close ends it.
// A server without IDLE gives an error wrapping imap.ErrNoIdle.
func Watch(ctx context.Context, a *config.Account, folder string, env *Env) (*imap.Watcher, error) {
	if a.Protocol != config.IMAP {
		return nil, fail.Errorf(fail.Internal, "account %s: IDLE needs IMAP", a.Name)
	}
	src, _, err := connect(ctx, a, env)
	if err != nil {
		return nil, err
	}
	s, ok := src.(*imap.Source)
	if !ok {
		src.Close()
		return nil, fail.Errorf(fail.Internal, "account %s: not an IMAP session", a.Name)
	}
	w, err := s.Watch(ctx, folder, imap.WatchOptions{Reissue: a.IdleTimeout})
	if err != nil {
		s.Close()
		return nil, err
	}
	return w, nil
}
