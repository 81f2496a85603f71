package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// sshServer is a minimal SSH server: it lets in one user with one public key and
// opens direct-tcpip channels (RFC 4254 §7.2) to one destination only, which it serves
// in-process. Shells, commands, remote forwarding and every other destination are
// refused, so the demo lends nobody a way into the machine.
type sshServer struct {
	addr    string
	hostKey ssh.PublicKey
	dest    string                   // the one destination, as "host:port"
	dial    func() (net.Conn, error) // opens a connection to dest
	opening func()                   // called when a client asks for a channel to dest

	cfg   *ssh.ServerConfig
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
}

// startSSH listens on a loopback port with a new ED25519 host key. It lets user in
// with key, and forwards to dest with dial; opening is called first on each channel.
func startSSH(user string, key ssh.PublicKey, dest string, dial func() (net.Conn, error), opening func()) (*sshServer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("SSH host key: %w", err)
	}
	signer, err := ssh.NewSignerFromSigner(priv)
	if err != nil {
		return nil, fmt.Errorf("SSH host key: %w", err)
	}
	s := &sshServer{hostKey: signer.PublicKey(), dest: dest, dial: dial, opening: opening, conns: map[net.Conn]bool{}}
	s.cfg = &ssh.ServerConfig{PublicKeyCallback: func(md ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if md.User() == user && bytes.Equal(k.Marshal(), key.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("unknown user or key")
	}}
	s.cfg.AddHostKey(signer)
	if s.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("SSH server: %w", err)
	}
	s.addr = s.ln.Addr().String()
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *sshServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); defer s.untrack(c); s.handle(c) }()
	}
}

// track records an open connection for Close; after Close it refuses (false).
func (s *sshServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[c] = true
	return true
}

func (s *sshServer) untrack(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// Close stops listening, drops every connection and waits for their goroutines.
func (s *sshServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *sshServer) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second)) // for the handshake only
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	defer sc.Close()
	go ssh.DiscardRequests(reqs) // keepalives get their "no"; tcpip-forward (ssh -R) too
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		if nc.ChannelType() != "direct-tcpip" {
			nc.Reject(ssh.Prohibited, "this server only forwards to "+s.dest)
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); s.forward(nc) }()
	}
}

// forward serves one direct-tcpip channel if it asks for dest.
func (s *sshServer) forward(nc ssh.NewChannel) {
	var req struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &req); err != nil {
		nc.Reject(ssh.ConnectionFailed, "bad direct-tcpip request")
		return
	}
	if net.JoinHostPort(req.Host, strconv.Itoa(int(req.Port))) != s.dest {
		nc.Reject(ssh.Prohibited, "this server only forwards to "+s.dest)
		return
	}
	s.opening()
	target, err := s.dial()
	if err != nil {
		nc.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	defer target.Close()
	ch, chReqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	go ssh.DiscardRequests(chReqs)
	done := make(chan struct{})
	go func() { io.Copy(ch, target); ch.CloseWrite(); close(done) }()
	io.Copy(target, ch)
	target.Close()
	<-done
}
