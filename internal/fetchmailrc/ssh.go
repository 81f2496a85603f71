package fetchmailrc

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
)

// parseSSH reads an OpenSSH command line (ssh(1)) far enough to rebuild the tunnel in
// fetchsecure: destination, user, port, identities, known_hosts, jump hosts, -L
// forwards, -W and the remote command. Options that fetchsecure's SSH client has no use
// for are listed in ignored; those that change what the connection is (ProxyCommand,
// StrictHostKeyChecking=no, a config file) in unsupported.

type hop struct {
	user, host string
	port       int
}

type forward struct {
	bind   string
	listen int
	host   string
	port   int
}

type sshCmd struct {
	dest        hop
	identity    []string
	knownHosts  []string
	jumps       []hop
	forwards    []forward
	w           string // -W host:port
	remote      []string
	keepalive   int // ServerAliveInterval, seconds
	timeout     int // ConnectTimeout, seconds
	ignored     []string
	unsupported []string
}

const (
	sshArgOptions  = "BbcDEeFIiJLlmOoPpQRSWw"
	sshFlagOptions = "46AaCfGgKkMNnqsTtVvXxYy"
)

func isSSH(argv []string) bool {
	return len(argv) > 0 && path.Base(argv[0]) == "ssh"
}

func parseSSH(argv []string) (*sshCmd, error) {
	s := &sshCmd{}
	i, err := s.options(argv, 1)
	if err != nil {
		return nil, err
	}
	if i >= len(argv) {
		return nil, fmt.Errorf("no destination host")
	}
	if err := s.destination(argv[i]); err != nil {
		return nil, err
	}
	// ssh reads options after the destination too, up to the remote command.
	if i, err = s.options(argv, i+1); err != nil {
		return nil, err
	}
	s.remote = argv[i:]
	return s, nil
}

// options parses options from argv[i] on and returns the index of the first operand.
func (s *sshCmd) options(argv []string, i int) (int, error) {
	for ; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			return i + 1, nil
		}
		if len(a) < 2 || a[0] != '-' {
			return i, nil
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			if strings.IndexByte(sshFlagOptions, c) >= 0 {
				continue
			}
			if strings.IndexByte(sshArgOptions, c) < 0 {
				return 0, fmt.Errorf("unknown ssh option -%c", c)
			}
			val := a[j+1:]
			if val == "" {
				// Old ssh had a flag -P (no argument); new ssh takes -P tag.
				if c == 'P' && (i+1 >= len(argv) || strings.HasPrefix(argv[i+1], "-")) {
					break
				}
				if i++; i >= len(argv) {
					return 0, fmt.Errorf("ssh option -%c needs a value", c)
				}
				val = argv[i]
			}
			if err := s.option(c, val); err != nil {
				return 0, err
			}
			break
		}
	}
	return i, nil
}

func (s *sshCmd) option(c byte, val string) error {
	switch c {
	case 'l':
		if s.dest.user == "" {
			s.dest.user = val
		}
	case 'p':
		return s.setPort(val)
	case 'i':
		s.identity = append(s.identity, val)
	case 'J':
		return s.setJumps(val)
	case 'L':
		f, ok := parseForward(val)
		if !ok {
			return fmt.Errorf("cannot read the forwarding -L %s", val)
		}
		s.forwards = append(s.forwards, f)
	case 'W':
		s.w = val
	case 'o':
		return s.config(val)
	case 'F':
		s.unsupported = append(s.unsupported, "-F "+val+" (fetchsecure reads no ssh config file)")
	default:
		s.ignored = append(s.ignored, "-"+string(c)+" "+val)
	}
	return nil
}

func (s *sshCmd) setPort(val string) error {
	n, err := strconv.Atoi(val)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("bad ssh port %q", val)
	}
	if s.dest.port == 0 {
		s.dest.port = n
	}
	return nil
}

func (s *sshCmd) setJumps(val string) error {
	if s.jumps != nil || strings.EqualFold(val, "none") {
		return nil
	}
	for _, spec := range strings.Split(val, ",") {
		h, err := parseHop(strings.TrimPrefix(spec, "ssh://"))
		if err != nil {
			return err
		}
		s.jumps = append(s.jumps, h)
	}
	return nil
}

// config handles -o Key=Value and -o "Key Value".
func (s *sshCmd) config(kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	if !ok {
		key, val, _ = strings.Cut(strings.TrimSpace(kv), " ")
	}
	key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
	switch key {
	case "user":
		return s.option('l', val)
	case "port":
		return s.setPort(val)
	case "identityfile":
		s.identity = append(s.identity, val)
	case "userknownhostsfile":
		s.knownHosts = append(s.knownHosts, strings.Fields(val)...)
	case "proxyjump":
		return s.setJumps(val)
	case "hostname":
		s.dest.host = val
	case "serveraliveinterval":
		s.keepalive, _ = strconv.Atoi(val)
	case "connecttimeout":
		s.timeout, _ = strconv.Atoi(val)
	case "stricthostkeychecking":
		if v := strings.ToLower(val); v == "no" || v == "off" || v == "accept-new" {
			s.unsupported = append(s.unsupported, "-o "+kv+" (fetchsecure refuses unknown host keys: "+
				"run ssh once by hand so that the key is in known_hosts)")
		}
	case "proxycommand":
		s.unsupported = append(s.unsupported, "-o "+kv+" (fetchsecure cannot chain a proxy command; "+
			"use jump hosts)")
	default:
		s.ignored = append(s.ignored, "-o "+kv)
	}
	return nil
}

// destination reads [user@]host or ssh://[user@]host[:port].
func (s *sshCmd) destination(d string) error {
	if strings.HasPrefix(d, "ssh://") {
		h, err := parseHop(strings.TrimPrefix(d, "ssh://"))
		if err != nil {
			return err
		}
		if s.dest.port == 0 {
			s.dest.port = h.port
		}
		d = h.host
		if h.user != "" {
			d = h.user + "@" + d
		}
	}
	user, host, found := strings.Cut(d, "@")
	if !found {
		user, host = "", d
	}
	if host == "" || strings.HasPrefix(host, "-") {
		return fmt.Errorf("bad destination %q", d)
	}
	if s.dest.user == "" {
		s.dest.user = user
	}
	if s.dest.host == "" {
		s.dest.host = host
	}
	return nil
}

// parseHop reads [user@]host[:port], host possibly an [IPv6] literal.
func parseHop(spec string) (hop, error) {
	var h hop
	if u, rest, ok := strings.Cut(spec, "@"); ok {
		h.user, spec = u, rest
	}
	h.host = spec
	if host, port, err := net.SplitHostPort(spec); err == nil {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return h, fmt.Errorf("bad port in %q", spec)
		}
		h.host, h.port = host, n
	}
	h.host = strings.Trim(h.host, "[]")
	if h.host == "" {
		return h, fmt.Errorf("bad host %q", spec)
	}
	return h, nil
}

// parseForward reads -L [bind:]port:host:hostport (or with / separators).
func parseForward(spec string) (forward, bool) {
	parts := splitForward(spec)
	var f forward
	if len(parts) == 4 {
		f.bind, parts = parts[0], parts[1:]
	}
	if len(parts) != 3 {
		return f, false
	}
	listen, err1 := strconv.Atoi(parts[0])
	port, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || parts[1] == "" || port < 1 || port > 65535 {
		return f, false
	}
	f.listen, f.host, f.port = listen, strings.Trim(parts[1], "[]"), port
	return f, true
}

// splitForward splits at ':' (or '/', ssh's alternative for IPv6), not inside [ ].
func splitForward(spec string) []string {
	sep := byte(':')
	if strings.Contains(spec, "/") {
		sep = '/'
	}
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(spec); i++ {
		switch spec[i] {
		case '[':
			depth++
		case ']':
			depth--
		case sep:
			if depth == 0 {
				parts = append(parts, spec[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, spec[start:])
}
