package imap

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// ErrNoIdle is wrapped by Watch when the server offers no IDLE (RFC 2177): its folders
// can only be polled.
var ErrNoIdle = errors.New("the server does not offer IDLE (RFC 2177)")

// MaxReissue bounds how long one IDLE command runs before fetchsecure ends it with
// DONE and issues it again. RFC 2177 §3 lets servers drop a client idle for 30
// minutes; go-imap restarts IDLE by itself after 28 minutes without the watchdog
// armed, so fetchsecure always re-issues first.
const MaxReissue = 27 * time.Minute

// WatchOptions configure a Watcher.
type WatchOptions struct {
	// Reissue is how long one IDLE command may run before it is ended with DONE,
	// followed by a NOOP, and issued again (config idle_timeout). The DONE and the
	// NOOP also prove that the connection still works. 0 or more than MaxReissue
	// means MaxReissue.
	Reissue time.Duration
}

// Watcher watches one folder with IMAP IDLE on a session of its own and reports
// that new mail may have arrived. It fetches nothing: the caller fetches the folder
// on another connection, so the watch never stops while mail is being fetched.
type Watcher struct {
	s       *Source
	folder  string
	reissue time.Duration

	mail     chan struct{} // capacity 1: notifications coalesce
	done     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	err      error // why the watch ended; read after done
}

// idleState is what the unilateral data handler needs. The handler runs on go-imap's
// reader goroutine and blocks it: it only counts and signals a channel, never calls
// the client (libraries.md, "IDLE and notifications").
type idleState struct {
	watcher atomic.Pointer[Watcher]
	count   atomic.Uint32 // messages in the selected folder, as last announced
}

// handler returns the unilateral data handler of a session.
func (st *idleState) handler() *imapclient.UnilateralDataHandler {
	return &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				st.exists(*d.NumMessages)
			}
		},
		Expunge: func(uint32) { st.expunged() },
	}
}

// exists handles "* n EXISTS" (RFC 9051 §7.4.1): only a count above the last one
// means new mail; the count also changes after expunges.
func (st *idleState) exists(n uint32) {
	old := st.count.Swap(n)
	if w := st.watcher.Load(); w != nil && n > old {
		w.signal()
	}
}

func (st *idleState) expunged() {
	for {
		n := st.count.Load()
		if n == 0 || st.count.CompareAndSwap(n, n-1) {
			return
		}
	}
}

// CanIdle reports whether the server offers IDLE.
func (s *Source) CanIdle() bool {
	caps := s.c.Caps()
	return caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2)
}

// Watch selects folder read-only (EXAMINE) and starts IDLE on it. The Watcher takes
// the session over: its Close ends the session, and the Source must not be used for
// anything else. Without IDLE on the server, Watch fails with an error wrapping
// ErrNoIdle and the session stays usable.
func (s *Source) Watch(ctx context.Context, folder string, opts WatchOptions) (*Watcher, error) {
	if !s.CanIdle() {
		return nil, fail.Wrap(fail.Config, ErrNoIdle)
	}
	w := &Watcher{s: s, folder: folder, reissue: opts.Reissue,
		mail: make(chan struct{}, 1), done: make(chan struct{}), stop: make(chan struct{})}
	if w.reissue <= 0 || w.reissue > MaxReissue {
		w.reissue = MaxReissue
	}
	stop := context.AfterFunc(ctx, s.abort)
	idle, err := w.start()
	if !stop() && err == nil {
		err = ctx.Err() // aborted after IDLE began
	}
	if err != nil {
		s.idle.watcher.Store(nil)
		return nil, err
	}
	go w.run(idle)
	return w, nil
}

func (w *Watcher) start() (*imapclient.IdleCommand, error) {
	if err := w.examine(); err != nil {
		return nil, err
	}
	w.s.idle.watcher.Store(w)
	return w.begin()
}

// examine opens the folder read-only and notes how many messages it holds.
func (w *Watcher) examine() error {
	defer w.s.busy()()
	data, err := w.s.c.Select(w.folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return w.s.folderError(w.folder, err)
	}
	w.s.idle.count.Store(data.NumMessages)
	w.s.opts.Log.Debug("IMAP IDLE watching", "folder", w.folder, "messages", data.NumMessages)
	return nil
}

// Mail receives a value when new mail may have arrived in the folder. Several
// arrivals before the value is received make one value.
func (w *Watcher) Mail() <-chan struct{} { return w.mail }

// Done is closed when the watch ends: the connection failed (Err says why) or Close
// or Abort was called.
func (w *Watcher) Done() <-chan struct{} { return w.done }

// Err says why the watch ended; nil while it runs or after Close.
func (w *Watcher) Err() error {
	select {
	case <-w.done:
		return w.err
	default:
		return nil
	}
}

// Folder is the folder watched.
func (w *Watcher) Folder() string { return w.folder }

// Close ends IDLE with DONE, logs out and closes the connection, each step bounded by
// the connection's watchdog.
func (w *Watcher) Close() error {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
	return w.s.Close()
}

// Abort drops the connection without a goodbye: for a connection that is probably
// dead already, e.g. after the machine slept.
func (w *Watcher) Abort() {
	w.stopOnce.Do(func() { close(w.stop) })
	w.s.abort()
	<-w.done
}

func (w *Watcher) signal() {
	select {
	case w.mail <- struct{}{}:
	default:
	}
}

// run keeps IDLE going until the connection fails or the watch is stopped,
// re-issuing it every w.reissue.
func (w *Watcher) run(idle *imapclient.IdleCommand) {
	defer close(w.done)
	defer w.s.idle.watcher.Store(nil)
	timer := time.NewTimer(w.reissue)
	defer timer.Stop()
	for {
		select {
		case <-w.stop:
			if err := w.end(idle); err != nil {
				w.s.opts.Log.Debug("IMAP IDLE did not end cleanly", "folder", w.folder, "err", err)
			}
			return
		case <-w.s.c.Closed():
			w.err = w.lost(idle)
			return
		case <-timer.C:
			var err error
			if idle, err = w.renew(idle); err != nil {
				w.err = err
				return
			}
			timer.Reset(w.reissue)
		}
	}
}

// renew ends IDLE, sends a NOOP (RFC 9051 §6.1.2: the way to ask for pending
// updates, and proof that the server still answers) and starts IDLE again.
func (w *Watcher) renew(idle *imapclient.IdleCommand) (*imapclient.IdleCommand, error) {
	if err := w.end(idle); err != nil {
		return nil, err
	}
	if err := w.noop(); err != nil {
		return nil, err
	}
	return w.begin()
}

// begin starts IDLE and waits, with the watchdog armed, for the server's "+".
// While IDLE runs the watchdog is off: a quiet connection is the normal case.
func (w *Watcher) begin() (*imapclient.IdleCommand, error) {
	defer w.s.busy()()
	idle, err := w.s.c.Idle()
	if err != nil {
		return nil, w.failed("start IDLE", err)
	}
	return idle, nil
}

// end sends DONE and waits, with the watchdog armed, for the tagged reply.
func (w *Watcher) end(idle *imapclient.IdleCommand) error {
	defer w.s.busy()()
	if err := idle.Close(); err != nil {
		return w.failed("end IDLE", err)
	}
	if err := idle.Wait(); err != nil {
		return w.failed("end IDLE", err)
	}
	return nil
}

func (w *Watcher) noop() error {
	defer w.s.busy()()
	if err := w.s.c.Noop().Wait(); err != nil {
		return w.failed("NOOP", err)
	}
	return nil
}

// lost explains a connection that closed during IDLE.
func (w *Watcher) lost(idle *imapclient.IdleCommand) error {
	err := idle.Wait()
	if err == nil {
		err = errors.New("connection closed by the server")
	}
	return w.failed("IDLE", err)
}

func (w *Watcher) failed(what string, err error) error {
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Type != imap.StatusResponseTypeOK {
		return fail.Wrap(fail.Protocol, fmt.Errorf("%s on %q: the server answered %s %s", what, w.folder, ie.Type, ie.Text))
	}
	return fail.Wrap(fail.Temporary, fmt.Errorf("%s on %q: %w", what, w.folder, err))
}
