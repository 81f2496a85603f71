package config

import (
	"maps"
	"os"
	"os/user"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

var tunnelKeys = []string{"host", "port", "user", "identity_file", "passphrase_command",
	"known_hosts", "host_key", "jump", "keepalive", "timeout"}

func (d *decoder) tunnels(top *table, cfg *Config) map[string]*Tunnel {
	names, tables := d.named(top, "tunnel", "bastion")
	tunnels := make(map[string]*Tunnel, len(names))
	jumps := make(map[string]string)
	for i, t := range tables {
		tunnels[names[i]] = d.tunnel(t, names[i], cfg)
		if j, ok := t.str("jump", `write jump = "NAME" for another [tunnel.NAME] table`); ok {
			jumps[names[i]] = j
		}
	}
	d.resolveJumps(tunnels, jumps)
	return tunnels
}

func (d *decoder) tunnel(t *table, name string, cfg *Config) *Tunnel {
	t.unknownKeys(tunnelKeys, func(k string) string {
		if slices.Contains(accountKeys, k) {
			return k + " belongs in an [account.NAME] table"
		}
		return ""
	})
	tu := &Tunnel{Name: name, File: d.c.file, Line: d.c.ix.line(t.path),
		Host:          t.host(`"bastion.example.org"`),
		Port:          int(t.integer("port", 22, 1, 65535)),
		User:          d.sshUser(t),
		IdentityFiles: t.filePaths("identity_file", nil),
		Keepalive:     t.duration("keepalive", 30*time.Second),
		Timeout:       t.duration("timeout", cfg.Timeout),
	}
	tu.Passphrase.Command = t.argv("passphrase_command")
	tu.HostKey = hostKey(t)
	if t.has("host_key") && t.has("known_hosts") {
		t.problem("host_key", "keep one of host_key and known_hosts", "pins the host key, so known_hosts is not used")
	}
	if tu.HostKey == "" {
		tu.KnownHosts = t.filePaths("known_hosts", []string{t.expand("known_hosts", "~/.ssh/known_hosts")})
	}
	return tu
}

// sshUser returns the tunnel's user, by default the local one (as ssh does).
func (d *decoder) sshUser(t *table) string {
	if t.has("user") {
		return t.required("user", `"me"`)
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	t.problem("user", `add user = "me"`, "is not set and the local user name is unknown")
	return ""
}

// hostKey returns the host_key pin after checking that it parses as a public key in
// authorized_keys format.
func hostKey(t *table) string {
	const hint = `write the key as in known_hosts, without the host name: "ssh-ed25519 AAAA..."`
	s, ok := t.str("host_key", hint)
	if !ok {
		return ""
	}
	if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s)); err != nil || strings.ContainsAny(s, "\n") {
		t.problem("host_key", hint, "is not an SSH public key")
		return ""
	}
	return strings.TrimSpace(s)
}

// resolveJumps links each tunnel to the one it jumps through, reporting unknown names
// and cycles (a tunnel reached, eventually, through itself).
func (d *decoder) resolveJumps(tunnels map[string]*Tunnel, jumps map[string]string) {
	names := slices.Sorted(maps.Keys(jumps))
	for _, name := range names {
		if _, ok := tunnels[jumps[name]]; !ok {
			d.c.at([]string{"tunnel", name, "jump"}, tunnelHint(jumps[name], &Config{Tunnels: tunnels}),
				"there is no [tunnel.%s] table", quoteKey(jumps[name]))
			delete(jumps, name)
		}
	}
	inCycle := map[string]bool{}
	for _, cycle := range jumpCycles(names, jumps) {
		for _, n := range cycle {
			inCycle[n] = true
		}
		d.c.at([]string{"tunnel", cycle[0], "jump"}, "remove one of these jumps",
			"jump cycle %s", strings.Join(append(cycle, cycle[0]), " → "))
	}
	for _, name := range names {
		if !inCycle[name] && jumps[name] != "" {
			tunnels[name].Jump = tunnels[jumps[name]]
		}
	}
}

// jumpCycles returns every cycle of the jump graph, each rotated to begin with its
// smallest name. Each tunnel jumps through at most one other, so following the chains
// from every start, never walking a tunnel twice, finds them all in linear time.
func jumpCycles(names []string, jumps map[string]string) [][]string {
	const onPath, done = 1, 2
	state := map[string]int{}
	var cycles [][]string
	for _, start := range names {
		var chain []string
		n := start
		for ; n != "" && state[n] == 0; n = jumps[n] {
			state[n] = onPath
			chain = append(chain, n)
		}
		if n != "" && state[n] == onPath {
			cycle := chain[slices.Index(chain, n):]
			m := slices.Index(cycle, slices.Min(cycle))
			cycles = append(cycles, append(append([]string{}, cycle[m:]...), cycle[:m]...))
		}
		for _, c := range chain {
			state[c] = done
		}
	}
	return cycles
}
