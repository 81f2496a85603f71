package certgen

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

// handshake runs a TLS handshake on loopback between a server presenting cert and a
// client with cfg, and returns the client's error.
func handshake(t *testing.T, cert *Cert, cfg *tls.Config) error {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cert.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.(*tls.Conn).Handshake()
		c.Close()
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
	if err == nil {
		c.Close()
	}
	<-done
	return err
}

func TestIssuedCertificateVerifies(t *testing.T) {
	ca, err := NewCA("certgen test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range DefaultNames {
		host := name
		if strings.Contains(host, ":") {
			continue // ::1 may be missing on the machine; the name is checked below
		}
		if err := handshake(t, cert, &tls.Config{RootCAs: ca.Pool(), ServerName: host}); err != nil {
			t.Errorf("handshake as %s: %v", host, err)
		}
	}
	if err := cert.Leaf.VerifyHostname("::1"); err != nil {
		t.Errorf("VerifyHostname(::1): %v", err)
	}
	if err := handshake(t, cert, &tls.Config{ServerName: "127.0.0.1"}); err == nil {
		t.Error("a client without the CA accepted the certificate")
	}
}

func TestWrongNameAndValidity(t *testing.T) {
	ca, err := NewCA("certgen test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.Issue(Options{Names: []string{"mail.example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	if other.Leaf.Subject.CommonName != "mail.example.org" {
		t.Errorf("CN = %q, want the first name", other.Leaf.Subject.CommonName)
	}
	if err := handshake(t, other, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}); err == nil {
		t.Error("a certificate for mail.example.org was accepted for 127.0.0.1")
	}
	now := time.Now()
	expired, err := ca.Issue(Options{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, expired, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}); err == nil {
		t.Error("an expired certificate was accepted")
	}
}

func TestSelfSignedAndPEM(t *testing.T) {
	c, err := SelfSigned(Options{})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.CertPEM) {
		t.Fatal("CertPEM does not parse")
	}
	if err := handshake(t, c, &tls.Config{RootCAs: pool, ServerName: "localhost"}); err != nil {
		t.Fatalf("self-signed certificate trusted as its own root: %v", err)
	}
	if _, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		t.Fatalf("CertPEM and KeyPEM do not form a pair: %v", err)
	}
	ca, _ := NewCA("x")
	if b, _ := pem.Decode(ca.PEM); b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("CA PEM = %q", ca.PEM)
	}
	if a, b := ca.Cert.SerialNumber, c.Leaf.SerialNumber; a.Sign() <= 0 || a.Cmp(b) == 0 {
		t.Fatalf("serial numbers %v and %v: want positive and distinct", a, b)
	}
}
