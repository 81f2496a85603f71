package smtp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// dialTimeout bounds connecting; a local server answers at once or not at all.
const dialTimeout = 30 * time.Second

// target is where messages go: a unix socket path, or a host and port.
type target struct {
	socket      string // unix socket path; "" for TCP
	host        string // IP literal or name
	port        uint16
	allowRemote bool
}

func (t target) String() string {
	if t.socket != "" {
		return "unix:" + t.socket
	}
	return net.JoinHostPort(t.host, strconv.Itoa(int(t.port)))
}

// parseTarget parses "unix:/path", "host:port", "[v6]:port" or, for SMTP, "host" and
// "[v6]" (port 25). An IP literal that is not loopback is refused unless allowRemote;
// names are checked when they are resolved.
func parseTarget(addr string, lmtp, allowRemote bool) (target, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if !filepath.IsAbs(path) {
			return target{}, fail.Errorf(fail.Config, "smtp: socket path %q is not absolute", path)
		}
		return target{socket: filepath.Clean(path)}, nil
	}
	host, port, err := splitHostPort(addr, lmtp)
	if err != nil {
		return target{}, fail.Wrap(fail.Config, fmt.Errorf("smtp: target %q: %w", addr, err))
	}
	t := target{host: host, port: port, allowRemote: allowRemote}
	if ip, err := netip.ParseAddr(host); err == nil && !allowRemote && !ip.Unmap().IsLoopback() {
		return target{}, remoteRefused(t)
	}
	return t, nil
}

func splitHostPort(addr string, lmtp bool) (string, uint16, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		// No port: allowed for SMTP only, since LMTP has no well-known port (RFC 2033 §5).
		if lmtp || strings.Count(addr, ":") > 0 && !strings.HasPrefix(addr, "[") {
			return "", 0, errors.New(`want "unix:/path" or "host:port" (IPv6 in brackets)`)
		}
		host, portStr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]"), "25"
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return "", 0, fmt.Errorf("bad port %q", portStr)
	}
	if host == "" {
		return "", 0, errors.New("no host")
	}
	return host, uint16(port), nil
}

func remoteRefused(t target) error {
	return fail.Hint(fail.Config, fmt.Errorf("smtp: %s is not a loopback address", t),
		"deliver to a unix socket or a loopback address, or allow remote delivery explicitly (it is unencrypted)")
}

// dial connects to the target. A name is resolved here and, unless remote targets are
// allowed, only its loopback addresses are dialed, so that a name cannot lead the
// message off the machine.
func (t target) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: dialTimeout}
	if t.socket != "" {
		return d.DialContext(ctx, "unix", t.socket)
	}
	ips, err := t.resolve(ctx)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(ip, t.port).String())
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (t target) resolve(ctx context.Context) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(t.host); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	all, err := net.DefaultResolver.LookupNetIP(ctx, "ip", t.host)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	for _, ip := range all {
		if ip = ip.Unmap(); t.allowRemote || ip.IsLoopback() {
			ips = append(ips, ip)
		}
	}
	if len(ips) == 0 {
		return nil, remoteRefused(t)
	}
	return ips, nil
}

// idleConn fails a Read or Write that makes no progress for timeout. go-smtp sets
// deadlines only around commands, not while the message is written.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c idleConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

func (c idleConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}
