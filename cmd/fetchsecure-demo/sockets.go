package main

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A socket is one socket a process holds, as Linux shows it in /proc (proc(5)).
type socket struct {
	proto     string // tcp, tcp6, udp, udp6 or unix
	local     string
	remote    string
	listening bool // accepts connections (TCP LISTEN, unix __SO_ACCEPTCON) or is an unconnected UDP port
}

func (s socket) String() string {
	switch {
	case s.listening:
		return fmt.Sprintf("%s %s LISTENING", s.proto, s.local)
	case s.remote == "":
		return fmt.Sprintf("%s %s", s.proto, s.local)
	}
	return fmt.Sprintf("%s %s -> %s", s.proto, s.local, s.remote)
}

// socketsOf lists the sockets process pid holds: the inodes of its file descriptors,
// looked up in the kernel's socket tables of its network namespace.
func socketsOf(pid int) ([]socket, error) {
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	owned, err := socketInodes(proc)
	if err != nil {
		return nil, err
	}
	var out []socket
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6", "unix"} {
		table, err := readTable(filepath.Join(proc, "net", proto), proto)
		if err != nil && !os.IsNotExist(err) { // no tcp6 without IPv6
			return nil, err
		}
		for inode, s := range table {
			if owned[inode] {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// socketInodes returns the inodes of the sockets among proc's file descriptors, which
// readlink shows as "socket:[INODE]".
func socketInodes(proc string) (map[string]bool, error) {
	fds, err := os.ReadDir(filepath.Join(proc, "fd"))
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(proc, "fd", fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	return inodes, nil
}

// readTable reads /proc/PID/net/PROTO into sockets by inode.
func readTable(path, proto string) (map[string]socket, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	table := map[string]socket{}
	sc := bufio.NewScanner(f)
	sc.Scan() // the column titles
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if proto == "unix" && len(fields) >= 7 {
			flags, _ := strconv.ParseUint(fields[3], 16, 32)
			name := strings.Join(fields[7:], " ")
			if name == "" {
				name = "(unnamed)"
			}
			table[fields[6]] = socket{proto: proto, local: name, listening: flags&0x10000 != 0} // __SO_ACCEPTCON
		} else if len(fields) >= 10 {
			table[fields[9]] = inetSocket(proto, fields[1], fields[2], fields[3])
		}
	}
	return table, sc.Err()
}

// inetSocket decodes a tcp/udp line: addresses are hex "ADDR:PORT", the address in the
// kernel's byte order (32-bit words, little-endian here), the state a hex TCP state.
func inetSocket(proto, local, remote, state string) socket {
	s := socket{proto: proto, local: hexAddr(local)}
	switch {
	case strings.HasPrefix(proto, "tcp") && state == "0A": // TCP_LISTEN
		s.listening = true
	case strings.HasPrefix(proto, "udp") && state == "07": // bound, not connected
		s.listening = true
	default:
		s.remote = hexAddr(remote)
	}
	return s
}

func hexAddr(a string) string {
	host, port, _ := strings.Cut(a, ":")
	raw, err := hex.DecodeString(host)
	if err != nil || len(raw)%4 != 0 {
		return a
	}
	for i := 0; i < len(raw); i += 4 { // each 32-bit word as the kernel printed it
		binary.LittleEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	p, _ := strconv.ParseUint(port, 16, 16)
	return net.JoinHostPort(net.IP(raw).String(), strconv.FormatUint(p, 10))
}
