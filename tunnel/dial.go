package tunnel

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// DefaultTimeout is used where a timeout is 0.
const DefaultTimeout = 60 * time.Second

// Mode is how a mail session is protected (config key tls).
type Mode int

const (
	ModeTLS      Mode = iota // implicit TLS from the first byte (ports 993, 995)
	ModeStartTLS             // plaintext greeting, then STARTTLS/STLS run by the protocol client
	ModeNone                 // no TLS: loopback or inside a tunnel only (config enforces it)
)

// Endpoint is where one mail session goes.
type Endpoint struct {
	Host    string // as seen from the SSH server when Via is set
	Port    int
	Mode    Mode
	TLS     *tls.Config // from TLSConfig; required for ModeTLS and ModeStartTLS
	Via     string      // name of a tunnel in Dialer.Tunnels, or ""
	Command []string    // tunnel_command argv; excludes Via
	Timeout time.Duration
}

func (ep *Endpoint) addr() string { return net.JoinHostPort(ep.Host, strconv.Itoa(ep.Port)) }

func (ep *Endpoint) timeout() time.Duration {
	if ep.Timeout > 0 {
		return ep.Timeout
	}
	return DefaultTimeout
}

// Dialer opens connections to mail servers, directly, through SSH tunnels or through
// tunnel commands. It keeps one SSH connection per tunnel name for its whole life,
// shared by every Dial and re-established when it dies. It is safe for concurrent use.
type Dialer struct {
	// Tunnels are the [tunnel.NAME] tables of the config, by name.
	Tunnels map[string]*SSHOptions
	// Prompt asks the user a question without echo (a key passphrase). nil when
	// fetchsecure is not interactive.
	Prompt func(question string) (string, error)

	mu     sync.Mutex
	links  map[string]*linkSlot
	closed bool
}

// Dial connects to ep and returns the connection with its watchdog set to ep.Timeout.
// Each step (TCP connect, each SSH hop, channel open, TLS handshake) has its own
// timeout; ctx cancels them all.
// For ModeTLS the TLS handshake is done; ModeStartTLS and ModeNone return the plaintext
// stream, on which the protocol client runs STARTTLS with ep.TLS.
func (d *Dialer) Dial(ctx context.Context, ep Endpoint) (*Conn, error) {
	switch {
	case ep.Mode != ModeNone && ep.TLS == nil:
		return nil, fail.Errorf(fail.Internal, "dial %s: TLS mode without a TLS config", ep.addr())
	case ep.Via != "" && len(ep.Command) > 0:
		return nil, fail.Errorf(fail.Config, "dial %s: tunnel and tunnel_command exclude each other", ep.addr())
	}
	raw, transport, linkErr, err := d.open(ctx, &ep)
	if err != nil {
		return nil, err
	}
	stream := raw
	var prot string
	if ep.Mode == ModeTLS {
		tc, err := handshakeTLS(ctx, raw, &ep)
		if err != nil {
			return nil, err
		}
		stream, prot = tc, TLSVersion(tc.ConnectionState().Version)
	}
	c := newConn(stream, raw, ep.Host, ep.timeout())
	c.transport, c.linkErr = transport, linkErr
	if prot != "" {
		c.SetSecurity(prot)
	}
	return c, nil
}

// handshakeTLS runs the implicit TLS handshake on raw, closing raw if it fails.
// HandshakeContext closes the connection when ctx ends, which works on SSH channels and
// pipes too.
func handshakeTLS(ctx context.Context, raw net.Conn, ep *Endpoint) (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, ep.timeout())
	defer cancel()
	tc := tls.Client(raw, ep.TLS)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, tlsHandshakeError(ctx, ep, err)
	}
	return tc, nil
}

// open returns the transport to ep, the words that describe it and, for an SSH channel,
// a function that says why the link under it died.
func (d *Dialer) open(ctx context.Context, ep *Endpoint) (net.Conn, string, func() error, error) {
	switch {
	case len(ep.Command) > 0:
		c, err := startCommand(ep.Command, ep.Host)
		return c, "tunnel command " + commandName(ep.Command), nil, err
	case ep.Via != "":
		c, l, err := d.dialVia(ctx, ep.Via, ep.addr())
		if err != nil {
			return nil, "", nil, err
		}
		return c, "SSH tunnel via " + ep.Via, l.deathCause, nil
	}
	c, err := dialTCP(ctx, ep.addr(), ep.timeout())
	return c, "", nil, err
}

// dialTCP connects to addr and explains a failure in words: DNS lookup, TCP connect,
// timeout.
func dialTCP(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	nd := net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	c, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, netError(ctx, "connect to "+addr, timeout, err)
	}
	return c, nil
}

// netError classifies a dial error: every one of them may go away by itself.
func netError(ctx context.Context, what string, timeout time.Duration, err error) error {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return fail.Hint(fail.Temporary, fmt.Errorf("DNS lookup of %s: no such host", dns.Name),
				"check the host name in the config")
		}
		return fail.Wrap(fail.Temporary, fmt.Errorf("DNS lookup of %s: %w", dns.Name, err))
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		if ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		return fail.Errorf(fail.Temporary, "%s: timed out after %s", what, seconds(timeout))
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", what, err)
	}
	var sys *os.SyscallError
	var op *net.OpError
	if errors.As(err, &sys) {
		err = sys.Err // "connection refused" rather than "dial tcp …: connect: connection refused"
	} else if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	return fail.Wrap(fail.Temporary, fmt.Errorf("TCP %s: %w", what, err))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// tlsHandshakeError classifies a failed implicit-TLS handshake.
func tlsHandshakeError(ctx context.Context, ep *Endpoint, err error) error {
	what := "TLS handshake with " + ep.addr()
	var fe *fail.Error
	var rec tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &fe):
		return err // our own verification said why
	case ctx.Err() != nil || isTimeout(err):
		return netError(ctx, what, ep.timeout(), context.DeadlineExceeded)
	case errors.As(err, &rec):
		return fail.Hint(fail.Security, fmt.Errorf("%s: the server does not speak TLS", what),
			`if the server expects STARTTLS on this port, set tls = "starttls"`)
	case strings.Contains(err.Error(), "protocol version"):
		return fail.Hint(fail.Security, fmt.Errorf("%s: %w", what, err),
			"the server offers only TLS versions older than 1.2, which fetchsecure refuses")
	case errors.As(err, &alert):
		return fail.Wrap(fail.Security, fmt.Errorf("%s: %w", what, err))
	}
	return fail.Wrap(fail.Temporary, fmt.Errorf("%s: %w", what, err))
}

// Close closes every SSH connection of the Dialer. Connections dialed through them fail.
func (d *Dialer) Close() error {
	d.mu.Lock()
	d.closed = true
	slots := d.links
	d.links = nil
	d.mu.Unlock()
	for _, s := range slots {
		s.close()
	}
	return nil
}

// IsLoopback reports whether host names this machine without asking DNS: "localhost",
// 127.0.0.0/8 or ::1 (brackets allowed).
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return true
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}
