// Package tunnel is the only package of fetchsecure that opens network connections: TCP,
// TLS with fetchsecure's certificate policy, SSH tunnels and tunnel commands.
//
// A [Dialer] turns an [Endpoint] into a [Conn]:
//
//   - directly: a TCP connection, with the TLS handshake done for [ModeTLS];
//   - through an SSH tunnel ([Endpoint.Via]): a direct-tcpip channel (RFC 4254 §7.2) of
//     one SSH connection per tunnel, shared by every Dial; no local port is ever opened.
//     Host keys are always checked (known_hosts or an inline key), keys come from
//     ssh-agent and key files, jump hosts are chained, and keepalives find a dead link;
//   - through a tunnel command ([Endpoint.Command]): the stdin and stdout of a program.
//
// Every [Conn] carries an inactivity watchdog (it implements fetch.TimeoutConn), because
// neither SSH channels nor command pipes have deadlines, and the deadlines go-imap sets
// are absolute rather than idle timeouts.
//
// Errors say which step failed (DNS lookup, TCP connect, TLS or SSH handshake, host key,
// SSH authentication, channel open) in words a user understands, and carry a kind from
// internal/fail.
package tunnel
