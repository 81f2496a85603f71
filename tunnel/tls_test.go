package tunnel

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// authority is a test CA.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
	file string // PEM
}

func newAuthority(t *testing.T) *authority {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fetchsecure test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := tempFile(t, "ca.pem")
	os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	return &authority{cert: cert, key: key, file: file}
}

// leaf issues a server certificate for names, signed by a (self-signed if a is nil).
func (a *authority) leaf(t *testing.T, notAfter time.Time, names ...string) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "server"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: notAfter, DNSNames: names,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	parent, signer := tmpl, crypto.Signer(key)
	if a != nil {
		parent, signer = a.cert, a.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// tlsServer answers "ok" over TLS with cert, at most TLS version maxVersion (0: any).
func tlsServer(t *testing.T, cert tls.Certificate, maxVersion uint16) *server {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10, MaxVersion: maxVersion}
	return serve(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if tc.Handshake() == nil {
			io.WriteString(tc, "ok")
		}
		tc.Close()
	})
}

// dialTLS connects to s with opts; it returns the error of Dial.
func dialTLS(t *testing.T, s *server, opts TLSOptions) (*Conn, error) {
	t.Helper()
	cfg, err := TLSConfig(opts)
	if err != nil {
		t.Fatal(err)
	}
	d := &Dialer{}
	defer d.Close()
	c, err := d.Dial(ctx(t), Endpoint{Host: "127.0.0.1", Port: s.port(), Mode: ModeTLS, TLS: cfg, Timeout: 10 * time.Second})
	if c != nil {
		t.Cleanup(func() { c.Close() })
		got, rerr := io.ReadAll(c)
		if string(got) != "ok" || rerr != nil {
			t.Errorf("read %q, %v", got, rerr)
		}
	}
	return c, err
}

func TestTLSCAFile(t *testing.T) {
	checkLeaks(t)
	ca := newAuthority(t)
	s := tlsServer(t, ca.leaf(t, time.Now().Add(time.Hour), "imap.example.test"), 0)
	c, err := dialTLS(t, s, TLSOptions{ServerName: "imap.example.test", CAFile: ca.file})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Describe(); got != "TLS1.3" {
		t.Errorf("Describe = %q, want TLS1.3", got)
	}
}

func TestTLSUnknownAuthority(t *testing.T) {
	checkLeaks(t)
	cert := (*authority)(nil).leaf(t, time.Now().Add(time.Hour), "imap.example.test")
	s := tlsServer(t, cert, 0)
	_, err := dialTLS(t, s, TLSOptions{ServerName: "imap.example.test"})
	wantKind(t, err, fail.Security, "unknown authority", "ca_file", `tls_fingerprint = "sha256:`+Pin(cert.Leaf))
}

func TestTLSWrongName(t *testing.T) {
	checkLeaks(t)
	ca := newAuthority(t)
	s := tlsServer(t, ca.leaf(t, time.Now().Add(time.Hour), "mail.other.test", "other.test"), 0)
	_, err := dialTLS(t, s, TLSOptions{ServerName: "imap.example.test", CAFile: ca.file})
	wantKind(t, err, fail.Security, `"mail.other.test", "other.test"`, "not imap.example.test", "tls_server_name")
}

func TestTLSExpired(t *testing.T) {
	checkLeaks(t)
	ca := newAuthority(t)
	s := tlsServer(t, ca.leaf(t, time.Now().Add(-24*time.Hour), "imap.example.test"), 0)
	_, err := dialTLS(t, s, TLSOptions{ServerName: "imap.example.test", CAFile: ca.file})
	wantKind(t, err, fail.Security, "valid only from", "renew")
}

// TestTLSPin: a pinned self-signed certificate is accepted whatever its name and dates;
// any other key is refused, even one a trusted CA signed, and the error shows its pin.
func TestTLSPin(t *testing.T) {
	checkLeaks(t)
	self := (*authority)(nil).leaf(t, time.Now().Add(-time.Hour), "whatever.invalid")
	s := tlsServer(t, self, 0)
	pin := Pin(self.Leaf)
	colons := "SHA256:" + strings.ToUpper(pin[:2]) + ":" + pin[2:]
	if _, err := dialTLS(t, s, TLSOptions{ServerName: "imap.example.test", Pins: []string{colons}}); err != nil {
		t.Fatalf("pinned: %v", err)
	}
	ca := newAuthority(t)
	signed := tlsServer(t, ca.leaf(t, time.Now().Add(time.Hour), "imap.example.test"), 0)
	_, err := dialTLS(t, signed, TLSOptions{ServerName: "imap.example.test", CAFile: ca.file, Pins: []string{pin}})
	wantKind(t, err, fail.Security, "matches no tls_fingerprint", "sha256:")
	if strings.Contains(err.Error(), pin) {
		t.Errorf("mismatch error shows the configured pin instead of the server's: %v", err)
	}
}

func TestTLSBadPin(t *testing.T) {
	_, err := TLSConfig(TLSOptions{ServerName: "x", Pins: []string{"sha256:abcd"}})
	wantKind(t, err, fail.Config, "not a SHA-256 pin")
}

func TestTLSOldVersionRefused(t *testing.T) {
	checkLeaks(t)
	ca := newAuthority(t)
	s := tlsServer(t, ca.leaf(t, time.Now().Add(time.Hour), "imap.example.test"), tls.VersionTLS11)
	_, err := dialTLS(t, s, TLSOptions{ServerName: "imap.example.test", CAFile: ca.file})
	wantKind(t, err, fail.Security, "older than 1.2")
}

func TestTLSNotTLS(t *testing.T) {
	checkLeaks(t)
	s := serve(t, func(c net.Conn) { io.WriteString(c, "* OK IMAP4rev1 ready\r\n"); c.Close() })
	_, err := dialTLS(t, s, TLSOptions{ServerName: "imap.example.test"})
	wantKind(t, err, fail.Security, "does not speak TLS", "starttls")
}

// TestTLSNulInName: a certificate name with a NUL byte ("good\x00.evil") never matches
// the name before the NUL (the classic CVE-2009-2408 trick). Go compares such names
// exactly, so a server name with a NUL is refused before it can equal one.
func TestTLSNulInName(t *testing.T) {
	checkLeaks(t)
	ca := newAuthority(t)
	s := tlsServer(t, ca.leaf(t, time.Now().Add(time.Hour), "imap.example.test\x00.evil.test"), 0)
	_, err := dialTLS(t, s, TLSOptions{ServerName: "imap.example.test", CAFile: ca.file})
	wantKind(t, err, fail.Security, `\x00`)
	_, err = TLSConfig(TLSOptions{ServerName: "imap.example.test\x00.evil.test", CAFile: ca.file})
	wantKind(t, err, fail.Config, "control character")
}

func TestTLSVersion(t *testing.T) {
	if got := TLSVersion(tls.VersionTLS12); got != "TLS1.2" {
		t.Errorf("TLSVersion = %q", got)
	}
}
