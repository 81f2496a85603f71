package fetchmailrc

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
)

// How an account reaches its server. fetchmail knows two tricks, both mapped here:
//   - preconnect 'ssh -f -L LPORT:HOST:PORT … SSHHOST sleep 20' with the entry polling
//     localhost:LPORT: fetchsecure opens the SSH connection itself ([tunnel.X]) and the
//     account connects to HOST:PORT as seen from SSHHOST; the local port disappears;
//   - plugin 'CMD %h %p': fetchmail runs CMD (split at white space, no shell, %h and %p
//     replaced by host and port) and talks over its stdin/stdout. `ssh -W %h:%p SSHHOST`
//     (or `ssh SSHHOST nc %h %p`) becomes a [tunnel.X]; any other command becomes
//     tunnel_command, such as `ssh SSHHOST /usr/lib/dovecot/imap` (PREAUTH).

type route struct {
	tunnel  *tunnelOut // an SSH tunnel, or nil
	command []string   // tunnel_command, or nil
	host    string     // the server as seen from the end of the tunnel
	port    int        // 0: the account's port
	ssh     bool       // the stream runs inside SSH
	from    *opt
}

// pluginRoute maps a plugin. It returns nil (with a note) if it cannot.
func (a *acct) pluginRoute(o *opt) *route {
	host, port := a.host, strconv.Itoa(a.portOrDefault())
	subst := strings.NewReplacer("%h", host, "%p", port).Replace(o.args[0])
	argv := strings.Fields(subst)
	if len(argv) == 0 {
		a.note(o, true, "an empty plugin; fetchmail would fail to run it. Not imported")
		return nil
	}
	rt := &route{from: o, host: a.host}
	if isSSH(argv) {
		if ssh, err := parseSSH(argv); err == nil {
			if target, ok := forwardTarget(ssh); ok {
				h, p, err := net.SplitHostPort(target)
				if n, perr := strconv.Atoi(p); err == nil && perr == nil && n > 0 && n < 65536 {
					rt.host, rt.port, rt.ssh = h, n, true
					rt.tunnel = a.c.sshTunnel(ssh, o, "plugin")
					return rt
				}
			}
		}
		rt.ssh = true // ssh HOST imapd: a PREAUTH session through SSH
	}
	rt.command = argv
	if strings.ContainsAny(o.args[0], `'"\`) {
		a.c.d.add(o.line, "the plugin holds quotes or backslashes: fetchmail passed them to the "+
			"program as they are (it runs no shell), and so does tunnel_command; check it")
	}
	return rt
}

// forwardTarget finds where an ssh command connects its stdin/stdout: -W host:port, or
// a remote `nc host port` (netcat, ncat too).
func forwardTarget(s *sshCmd) (string, bool) {
	if s.w != "" {
		return s.w, len(s.remote) == 0
	}
	r := s.remote
	if len(r) == 3 && (path.Base(r[0]) == "nc" || path.Base(r[0]) == "netcat" || path.Base(r[0]) == "ncat") {
		return net.JoinHostPort(r[1], r[2]), true
	}
	return "", false
}

// preconnectRoute maps a preconnect that sets up an SSH port forward to the port this
// account polls on localhost. It returns nil, and a reason, otherwise.
func (a *acct) preconnectRoute(o *opt) (*route, string) {
	if !isLoopback(a.host) {
		return nil, "the account does not connect to localhost"
	}
	sh := splitShell(strings.ReplaceAll(o.args[0], "\n", " "))
	if !sh.simpleForTunnel() {
		return nil, "it is a shell script (" + strings.Join(sh.features, ", ") + ")"
	}
	if !isSSH(sh.words) {
		return nil, "it does not run ssh"
	}
	ssh, err := parseSSH(sh.words)
	if err != nil {
		return nil, "cannot read its ssh command: " + err.Error()
	}
	port := a.portOrDefault()
	for _, f := range ssh.forwards {
		if f.listen == port && (f.bind == "" || f.bind == "*" || isLoopback(f.bind)) {
			rt := &route{from: o, host: f.host, port: f.port, ssh: true}
			rt.tunnel = a.c.sshTunnel(ssh, o, "preconnect")
			return rt, ""
		}
	}
	return nil, fmt.Sprintf("none of its -L forwards listens on port %d, which the account polls", port)
}

// isLoopback reports whether host names this machine: localhost, 127.0.0.0/8, ::1.
func isLoopback(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
