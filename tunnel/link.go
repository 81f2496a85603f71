package tunnel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// maxHops bounds a jump chain; the config rejects cycles, this guards anyway.
const maxHops = 8

// linkSlot holds the SSH connection of one tunnel name. Its mutex is held while the
// connection is being made, so that concurrent Dials share one connection.
type linkSlot struct {
	mu   sync.Mutex
	link *link
}

// link is one SSH connection and the goroutines that watch it.
type link struct {
	o      *SSHOptions
	client *ssh.Client
	done   chan struct{} // closed when the connection is gone
	wg     sync.WaitGroup

	mu    sync.Mutex
	cause error // why it died, when we know better than "EOF"
}

// dialVia opens a direct-tcpip channel to addr through the tunnel named name. There is
// no local listener: the channel is the stream. A connection found dead is made again
// once.
func (d *Dialer) dialVia(ctx context.Context, name, addr string) (net.Conn, *link, error) {
	for attempt := 0; ; attempt++ {
		l, err := d.linkFor(ctx, name, nil)
		if err != nil {
			return nil, nil, err
		}
		c, err := l.open(ctx, addr)
		if err == nil {
			return c, l, nil
		}
		if attempt > 0 || !l.dead() || ctx.Err() != nil {
			return nil, nil, err
		}
	}
}

// linkFor returns the live SSH connection of tunnel name, making it (and the jump hops
// before it) if needed. chain holds the tunnels that jump through this one.
func (d *Dialer) linkFor(ctx context.Context, name string, chain []string) (*link, error) {
	o, err := d.options(name, chain)
	if err != nil {
		return nil, err
	}
	slot, err := d.slot(name)
	if err != nil {
		return nil, err
	}
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if slot.link != nil && !slot.link.dead() {
		return slot.link, nil
	}
	l, err := d.connect(ctx, o, append(chain, name))
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		l.close()
		return nil, fail.Errorf(fail.Internal, "%s: the dialer was closed", o.hop())
	}
	slot.link = l
	return l, nil
}

// options finds tunnel name, refusing a jump cycle or an over-long chain.
func (d *Dialer) options(name string, chain []string) (*SSHOptions, error) {
	o := d.Tunnels[name]
	switch {
	case o == nil:
		return nil, fail.Errorf(fail.Config, "no [tunnel.%s] in the config", name)
	case slices.Contains(chain, name):
		return nil, fail.Errorf(fail.Config, "tunnel jump loop: %s -> %s", strings.Join(chain, " -> "), name)
	case len(chain) >= maxHops:
		return nil, fail.Errorf(fail.Config, "tunnel jump chain longer than %d: %s", maxHops, strings.Join(chain, " -> "))
	}
	if o.Name == "" {
		c := *o
		c.Name = name
		o = &c
	}
	return o, nil
}

func (d *Dialer) slot(name string) (*linkSlot, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, fail.Errorf(fail.Internal, "tunnel %s: the dialer was closed", name)
	}
	if d.links == nil {
		d.links = make(map[string]*linkSlot)
	}
	s := d.links[name]
	if s == nil {
		s = &linkSlot{}
		d.links[name] = s
	}
	return s, nil
}

// connect makes the SSH connection of o: its transport (TCP, or a channel of the jump
// tunnel), the handshake, then the watchers.
func (d *Dialer) connect(ctx context.Context, o *SSHOptions, chain []string) (*link, error) {
	hk, err := newHostKeyCheck(o)
	if err != nil {
		return nil, err
	}
	keys, err := d.loadKeys(ctx, o)
	if err != nil {
		return nil, err
	}
	defer keys.close()
	conn, err := d.transport(ctx, o, chain)
	if err != nil {
		return nil, err
	}
	client, err := handshake(ctx, conn, o, clientConfig(o, hk, keys))
	if err != nil {
		return nil, handshakeError(o, err, hk, keys)
	}
	l := &link{o: o, client: client, done: make(chan struct{})}
	l.wg.Add(2)
	go l.wait()
	go l.keepalive(o.keepalive())
	return l, nil
}

// transport reaches o's SSH server: by TCP, or through the tunnel o jumps through.
func (d *Dialer) transport(ctx context.Context, o *SSHOptions, chain []string) (net.Conn, error) {
	if o.Jump == "" {
		ctx, cancel := context.WithTimeout(ctx, o.timeout())
		defer cancel()
		c, err := dialTCP(ctx, o.addr(), o.timeout())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.hop(), err)
		}
		return c, nil
	}
	jl, err := d.linkFor(ctx, o.Jump, chain)
	if err != nil {
		return nil, err
	}
	c, err := jl.open(ctx, o.addr())
	if err != nil {
		return nil, fmt.Errorf("reaching tunnel %s: %w", o.Name, err)
	}
	return c, nil
}

// channelReadSize is how much a Read of an SSH channel asks for. x/crypto/ssh sends
// the server a window adjustment (RFC 4254 §5.2), an encrypted packet, after every
// Read of a channel; a protocol client reading 16 KiB at a time would send one per
// 16 KiB received. make bench measured 0.4 s of CPU in those writes for 537 MB.
const channelReadSize = 256 << 10

// bufferedChannel reads a channel through a large buffer.
type bufferedChannel struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedChannel) Read(p []byte) (int, error) { return b.r.Read(p) }

// open opens a direct-tcpip channel to addr (RFC 4254 §7.2).
func (l *link) open(ctx context.Context, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, l.o.timeout())
	defer cancel()
	c, err := l.client.DialContext(ctx, "tcp", addr)
	if err == nil {
		return &bufferedChannel{Conn: c, r: bufio.NewReaderSize(c, channelReadSize)}, nil
	}
	var oce *ssh.OpenChannelError
	switch {
	case errors.As(err, &oce) && oce.Reason == ssh.Prohibited:
		return nil, fail.Hint(fail.Config,
			fmt.Errorf("%s: the SSH server refused to forward to %s (AllowTcpForwarding?): %s", l.o.hop(), addr, oce.Message),
			"allow TCP forwarding for this user in the SSH server's sshd_config (AllowTcpForwarding, PermitOpen)")
	case errors.As(err, &oce):
		return nil, fail.Errorf(fail.Temporary, "%s: the SSH server could not connect to %s: %s", l.o.hop(), addr, oce.Message)
	case ctx.Err() != nil:
		return nil, netError(ctx, fmt.Sprintf("%s: opening a channel to %s", l.o.hop(), addr), l.o.timeout(), ctx.Err())
	}
	if cause := l.deathCause(); cause != nil {
		err = cause
	}
	return nil, fail.Wrap(fail.Temporary, fmt.Errorf("%s: opening a channel to %s: %w", l.o.hop(), addr, err))
}

// wait watches the connection end.
func (l *link) wait() {
	defer l.wg.Done()
	err := l.client.Wait()
	l.mu.Lock()
	if l.cause == nil {
		if err == nil {
			err = errors.New("the SSH server closed the connection")
		}
		l.cause = fail.Wrap(fail.Temporary, fmt.Errorf("%s: SSH connection lost: %w", l.o.hop(), err))
	}
	l.mu.Unlock()
	close(l.done)
}

// keepalive sends keepalive@openssh.com every interval. The library waits for the reply
// forever, so a timer does: a server that does not answer within the interval is
// declared dead and the connection is closed, which fails every channel on it. A dead
// link is found within two intervals.
func (l *link) keepalive(every time.Duration) {
	defer l.wg.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-tick.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := l.client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		timer := time.NewTimer(every)
		select {
		case <-l.done:
		case err := <-reply:
			if err == nil {
				timer.Stop()
				continue
			}
		case <-timer.C:
			l.kill(fail.Errorf(fail.Temporary, "%s: the SSH server did not answer a keepalive within %s",
				l.o.hop(), seconds(every)))
		}
		timer.Stop()
		return
	}
}

// kill closes the connection, remembering why.
func (l *link) kill(cause error) {
	l.mu.Lock()
	if l.cause == nil {
		l.cause = cause
	}
	l.mu.Unlock()
	l.client.Close()
}

func (l *link) dead() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// deathCause says why the link died, waiting a moment for the news: a channel sees its
// end a little before the watcher does. nil if the link is alive.
func (l *link) deathCause() error {
	select {
	case <-l.done:
	case <-time.After(50 * time.Millisecond):
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cause
}

// close ends the connection and waits for its watchers.
func (l *link) close() {
	l.kill(fail.Errorf(fail.Temporary, "%s: the SSH connection was closed", l.o.hop()))
	l.wg.Wait()
}

func (s *linkSlot) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.link != nil {
		s.link.close()
		s.link = nil
	}
}
