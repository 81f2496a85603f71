package tunnel

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestJumpTwoHops reaches the target through a → b → c, each hop a channel of the one
// before, and shares every hop between Dials.
func TestJumpTwoHops(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	key := testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")
	a, b, c := startSSH(t), startSSH(t), startSSH(t)
	oa, ob, oc := a.tunnel(t, "a", key), b.tunnel(t, "b", key), c.tunnel(t, "c", key)
	ob.Jump, oc.Jump = "a", "b"
	d := newDialer(t, oa, ob, oc)
	target := serve(t, echo)
	for i := range 3 {
		conn, err := viaTunnel(t, d, "c", target)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		roundTrip(t, conn, "through two jumps")
	}
	for name, s := range map[string]*sshServer{"a": a, "b": b, "c": c} {
		if n := s.accepted(); n != 1 {
			t.Errorf("hop %s: %d connections, want 1 shared", name, n)
		}
	}
	key3, err := ScanHostKey(ctx(t), oc, d)
	if err != nil || string(key3.Marshal()) != string(c.hostKeys[0].PublicKey().Marshal()) {
		t.Errorf("ScanHostKey through two jumps: %v", err)
	}
}

func TestJumpLoop(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	d := newDialer(t, &SSHOptions{Name: "a", Host: "127.0.0.1", Jump: "b"}, &SSHOptions{Name: "b", Host: "127.0.0.1", Jump: "a"})
	_, err := d.Dial(ctx(t), Endpoint{Host: "127.0.0.1", Port: 1, Mode: ModeNone, Via: "a"})
	wantKind(t, err, fail.Config, "jump loop: a -> b -> a")
	_, err = d.Dial(ctx(t), Endpoint{Host: "127.0.0.1", Port: 1, Mode: ModeNone, Via: "nope"})
	wantKind(t, err, fail.Config, "[tunnel.nope]")
}

// TestConcurrentDials: many Dials at once make one SSH connection.
func TestConcurrentDials(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	d := newDialer(t, s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")))
	target := serve(t, echo)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c, err := d.Dial(ctx(t), Endpoint{Host: "127.0.0.1", Port: target.port(), Mode: ModeNone, Via: "home"})
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			roundTrip(t, c, "concurrent")
		})
	}
	wg.Wait()
	if n := s.accepted(); n != 1 {
		t.Errorf("%d SSH connections, want 1", n)
	}
}

// TestReconnect: a dead SSH connection is made again by the next Dial; the streams on
// the dead one fail with an error that says so.
func TestReconnect(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	d := newDialer(t, s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")))
	target := serve(t, echo)
	c, err := viaTunnel(t, d, "home", target)
	if err != nil {
		t.Fatal(err)
	}
	s.dropAll()
	var rerr error
	within(t, 10*time.Second, "a Read on a dropped tunnel", func() { _, rerr = c.Read(make([]byte, 1)) })
	wantKind(t, rerr, fail.Temporary, "tunnel home", "SSH connection lost")
	c2, err := viaTunnel(t, d, "home", target)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c2, "again")
	if n := s.accepted(); n != 2 {
		t.Errorf("%d SSH connections, want 2", n)
	}
}

// TestKeepaliveFrozenLink: the path to the SSH server stops carrying packets without a
// reset. The keepalive finds out within two intervals and every channel fails, even
// with the Conn watchdog off.
func TestKeepaliveFrozenLink(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	f := startFreezer(t, s.addr())
	o := s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	o.Port, o.Keepalive = f.port(), 500*time.Millisecond
	o.KnownHosts = []string{writeKnownHosts(t, "[127.0.0.1]:"+itoa(f.port())+" "+authorizedLine(s))}
	c, err := viaTunnel(t, newDialer(t, o), "home", serve(t, echo))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "before the freeze")
	c.SetTimeout(0)
	f.frozen.Store(true)
	start := time.Now()
	var rerr error
	within(t, 10*time.Second, "a Read on a frozen link", func() { _, rerr = c.Read(make([]byte, 1)) })
	wantKind(t, rerr, fail.Temporary, "did not answer a keepalive within 500ms")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s to notice", took)
	}
	f.frozen.Store(false)
}

func TestChannelRefused(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	s.refuse.Store(true)
	target := serve(t, echo)
	_, err := viaTunnel(t, newDialer(t, s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))), "home", target)
	wantKind(t, err, fail.Config, "refused to forward to "+target.addr()+" (AllowTcpForwarding?)")

	s.refuse.Store(false)
	target.close()
	_, err = viaTunnel(t, newDialer(t, s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))), "home", target)
	wantKind(t, err, fail.Temporary, "could not connect to "+target.addr())
}

// TestHandshakeStall: a server that accepts TCP and then says nothing is given up on
// after the tunnel's timeout (x/crypto alone would wait forever).
func TestHandshakeStall(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	stall := deafServer(t)
	o := &SSHOptions{Name: "home", Host: "127.0.0.1", Port: stall.port(), Timeout: 300 * time.Millisecond}
	var err error
	within(t, 10*time.Second, "a stalled handshake", func() {
		_, err = newDialer(t, o).Dial(ctx(t), Endpoint{Host: "127.0.0.1", Port: 1, Mode: ModeNone, Via: "home"})
	})
	wantKind(t, err, fail.Temporary, "tunnel home", "SSH handshake timed out after 300ms")
}

// TestHandshakeStallOverJump: the same stall behind a jump host, where the transport is
// an SSH channel without deadlines.
func TestHandshakeStallOverJump(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	jump := startSSH(t)
	stall := deafServer(t)
	oj := jump.tunnel(t, "jump", testlib.NewSSHKey(t, t.TempDir(), "ed25519", ""))
	o := &SSHOptions{Name: "home", Host: "127.0.0.1", Port: stall.port(), Jump: "jump", Timeout: 300 * time.Millisecond}
	var err error
	within(t, 10*time.Second, "a stalled handshake over a jump", func() {
		_, err = newDialer(t, oj, o).Dial(ctx(t), Endpoint{Host: "127.0.0.1", Port: 1, Mode: ModeNone, Via: "home"})
	})
	wantKind(t, err, fail.Temporary, "SSH handshake timed out after 300ms")
}

func TestConnectErrors(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	o := &SSHOptions{Name: "home", Host: "127.0.0.1", Port: port, Timeout: 5 * time.Second}
	_, err := newDialer(t, o).Dial(ctx(t), Endpoint{Host: "x", Port: 1, Mode: ModeNone, Via: "home"})
	wantKind(t, err, fail.Temporary, "tunnel home", "TCP connect to 127.0.0.1:"+itoa(port), "refused")

	o.Host = "no-such-host.invalid"
	_, err = newDialer(t, o).Dial(ctx(t), Endpoint{Host: "x", Port: 1, Mode: ModeNone, Via: "home"})
	wantKind(t, err, fail.Temporary, "DNS lookup of no-such-host.invalid")
}

// TestWatchdogOverSSH: the Conn watchdog ends a stalled read on an SSH channel, which has
// no deadlines, and leaves the SSH connection usable.
func TestWatchdogOverSSH(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	s := startSSH(t)
	d := newDialer(t, s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")))
	mute := deafServer(t)
	c, err := d.Dial(ctx(t), Endpoint{Host: "127.0.0.1", Port: mute.port(), Mode: ModeNone, Via: "home",
		Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var rerr error
	within(t, 10*time.Second, "a Read on a stalled channel", func() { _, rerr = c.Read(make([]byte, 1)) })
	wantKind(t, rerr, fail.Temporary, "no data from 127.0.0.1 for 200ms")
	c2, err := viaTunnel(t, d, "home", serve(t, echo))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c2, "still usable")
	if n := s.accepted(); n != 1 {
		t.Errorf("%d SSH connections, want 1", n)
	}
}

// TestTLSOverSSH: implicit TLS inside the tunnel.
func TestTLSOverSSH(t *testing.T) {
	checkLeaks(t)
	isolate(t)
	ca := newAuthority(t)
	srv := tlsServer(t, ca.leaf(t, time.Now().Add(time.Hour), "imap.example.test"), 0)
	s := startSSH(t)
	cfg, err := TLSConfig(TLSOptions{ServerName: "imap.example.test", CAFile: ca.file})
	if err != nil {
		t.Fatal(err)
	}
	d := newDialer(t, s.tunnel(t, "home", testlib.NewSSHKey(t, t.TempDir(), "ed25519", "")))
	c, err := d.Dial(ctx(t), Endpoint{Host: "127.0.0.1", Port: srv.port(), Mode: ModeTLS, TLS: cfg, Via: "home"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := io.ReadAll(c)
	if string(got) != "ok" || err != nil {
		t.Errorf("read %q, %v", got, err)
	}
	if d := c.Describe(); d != "TLS1.3 over SSH tunnel via home" {
		t.Errorf("Describe = %q", d)
	}
}

// BenchmarkSSHThroughput streams through the in-process SSH server and the watchdog.
func BenchmarkSSHThroughput(b *testing.B) {
	b.Setenv("SSH_AUTH_SOCK", "")
	block := make([]byte, 32<<10)
	src, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	go func() {
		for {
			c, err := src.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					if _, err := c.Write(block); err != nil {
						return
					}
				}
			}()
		}
	}()
	s := startSSH(b)
	d := &Dialer{Tunnels: map[string]*SSHOptions{"home": s.tunnel(b, "home", testlib.NewSSHKey(b, b.TempDir(), "ed25519", ""))}}
	defer d.Close()
	c, err := d.Dial(context.Background(), Endpoint{Host: "127.0.0.1", Port: src.Addr().(*net.TCPAddr).Port, Mode: ModeNone, Via: "home"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}
