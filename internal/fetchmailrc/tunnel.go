package fetchmailrc

import (
	"fmt"
	"strings"
)

// tunnelOut is one [tunnel.NAME] table. Accounts that reach the same SSH server the same
// way share it; a chain of jump hosts (ssh -J a,b) becomes a chain of tables.
type tunnelOut struct {
	name       string
	key        string
	hop        hop
	identity   []string
	knownHosts []string
	jump       *tunnelOut
	keepalive  int
	timeout    int
	sources    []string // comment lines: where it came from
}

// sshTunnel registers the tunnel an ssh command sets up, and its jump hosts.
func (c *converter) sshTunnel(s *sshCmd, o *opt, kind string) *tunnelOut {
	var jump *tunnelOut
	for _, h := range s.jumps {
		jump = c.tunnelFor(&tunnelOut{hop: h, jump: jump})
		jump.addSource(fmt.Sprintf("jump host of the %s on line %d", kind, o.line))
	}
	t := c.tunnelFor(&tunnelOut{hop: s.dest, identity: s.identity, knownHosts: s.knownHosts,
		jump: jump, keepalive: s.keepalive, timeout: s.timeout})
	t.addSource(fmt.Sprintf("fetchmail: %s (line %d): %s", kind, o.line, oneLine(o.args[0])))
	if kind == "preconnect" && strings.Contains(strings.TrimSpace(o.args[0]), "\n") {
		t.addSource("(Its line breaks were read as spaces; fetchmail's /bin/sh ended the ssh command " +
			"at the first one.)")
	}
	if len(s.ignored) > 0 {
		t.addSource("Not needed by fetchsecure's SSH client, so not imported: " +
			strings.Join(s.ignored, ", ") + ".")
	}
	for _, u := range s.unsupported {
		t.addSource("Not imported: " + u + ".")
		c.d.add(o.line, "%s: ssh %s", kind, u)
	}
	return t
}

// tunnelFor returns the registered tunnel equal to t, or registers t under a new name.
func (c *converter) tunnelFor(t *tunnelOut) *tunnelOut {
	jump := ""
	if t.jump != nil {
		jump = t.jump.name
	}
	t.key = fmt.Sprintf("%q %q %d %q %q %q %d %d", t.hop.host, t.hop.user, t.hop.port,
		t.identity, t.knownHosts, jump, t.keepalive, t.timeout)
	if have := c.tunnelKeys[t.key]; have != nil {
		return have
	}
	t.name = c.tunnelNames.unique(sanitize(t.hop.host), sanitize(t.hop.host+"-"+t.hop.user))
	c.tunnelKeys[t.key] = t
	c.tunnels = append(c.tunnels, t)
	return t
}

func (t *tunnelOut) addSource(s string) {
	for _, have := range t.sources {
		if have == s {
			return
		}
	}
	t.sources = append(t.sources, s)
}

func (t *tunnelOut) emit(doc *tomlDoc) {
	tt := doc.table("tunnel." + t.name)
	for _, s := range t.sources {
		tt.comment(s)
	}
	tt.comment("fetchsecure opens this SSH connection itself. It checks the host key against " +
		"known_hosts (~/.ssh/known_hosts unless set here) and does not read ~/.ssh/config: " +
		"copy any HostName, User, Port or IdentityFile set there for this host.")
	tt.set("host", t.hop.host, "")
	if t.hop.port != 0 {
		tt.set("port", t.hop.port, "")
	}
	if t.hop.user != "" {
		tt.set("user", t.hop.user, "")
	}
	setPaths(tt, "identity_file", t.identity)
	setPaths(tt, "known_hosts", t.knownHosts)
	if t.jump != nil {
		tt.set("jump", t.jump.name, "")
	}
	if t.keepalive > 0 {
		tt.set("keepalive", fmt.Sprintf("%ds", t.keepalive), "ssh -o ServerAliveInterval")
	}
	if t.timeout > 0 {
		tt.set("timeout", fmt.Sprintf("%ds", t.timeout), "ssh -o ConnectTimeout")
	}
}

// setPaths writes a path, or a list of paths when there are several.
func setPaths(t *tomlTable, key string, paths []string) {
	switch len(paths) {
	case 0:
	case 1:
		t.set(key, paths[0], "")
	default:
		t.set(key, paths, "")
	}
}

// oneLine shows a command on one comment line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
