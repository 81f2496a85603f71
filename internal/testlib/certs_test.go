package testlib

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
)

// handshake runs a TLS handshake between an in-process server presenting cert and a
// client with cfg, and returns the client's error.
func handshake(t *testing.T, cert *Cert, cfg *tls.Config) error {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", cert.TLSConfig())
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if c, err := l.Accept(); err == nil {
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	c, err := tls.Dial("tcp", l.Addr().String(), cfg)
	if err == nil {
		c.Close()
	}
	l.Close()
	<-done
	return err
}

func TestCertificates(t *testing.T) {
	ca := NewCA(t)
	other := NewCA(t)
	tests := []struct {
		name    string
		cert    *Cert
		server  string
		wantErr string // "" for success
	}{
		{"valid ip", ca.Issue(t), "127.0.0.1", ""},
		{"valid ipv6", ca.Issue(t), "::1", ""},
		{"valid name", ca.Issue(t), "localhost", ""},
		{"custom names", ca.Issue(t, "mail.example"), "mail.example", ""},
		{"expired", ca.IssueExpired(t), "127.0.0.1", "expired"},
		{"not yet valid", ca.IssueNotYetValid(t), "127.0.0.1", "not yet valid"},
		{"wrong name", ca.IssueWrongName(t), "127.0.0.1", "doesn't contain any IP SANs"},
		{"wrong name localhost", ca.IssueWrongName(t), "localhost", "not localhost"},
		{"nul name", ca.IssueNULName(t), "localhost", "certificate is valid for"},
		{"self-signed", SelfSigned(t), "127.0.0.1", "unknown authority"},
		{"other CA", other.Issue(t), "127.0.0.1", "unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := handshake(t, tt.cert, ca.ClientConfig(tt.server))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("handshake with %s = %v, want success", tt.server, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("handshake with %s = %v, want error containing %q", tt.server, err, tt.wantErr)
			}
		})
	}
}

func TestNULNameSurvivesEncoding(t *testing.T) {
	c := NewCA(t).IssueNULName(t)
	if got := c.Leaf.DNSNames; len(got) != 1 || got[0] != NULName {
		t.Errorf("DNSNames = %q, want [%q]", got, NULName)
	}
	if got := c.Leaf.Subject.CommonName; got != NULName {
		t.Errorf("CommonName = %q, want %q", got, NULName)
	}
	var hostErr x509.HostnameError
	if err := c.Leaf.VerifyHostname("localhost"); !errors.As(err, &hostErr) {
		t.Errorf("VerifyHostname(localhost) = %v, want a HostnameError", err)
	}
}

func TestCAFilesAndPin(t *testing.T) {
	ca := NewCA(t)
	pemData, err := os.ReadFile(ca.File)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatalf("CA file %s holds no PEM certificate", ca.File)
	}
	c := ca.Issue(t)
	if _, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile); err != nil {
		t.Fatalf("LoadX509KeyPair(cert, key files) = %v", err)
	}
	sum := sha256.Sum256(c.Leaf.RawSubjectPublicKeyInfo)
	if got, want := SPKIPin(c.Leaf), "sha256:"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("SPKIPin = %s, want %s", got, want)
	}
	if SPKIPin(c.Leaf) == SPKIPin(ca.Issue(t).Leaf) {
		t.Error("two certificates with different keys have the same pin")
	}
	if ip := net.ParseIP("::1"); !c.Leaf.IPAddresses[1].Equal(ip) {
		t.Errorf("IPAddresses = %v, want 127.0.0.1 and ::1", c.Leaf.IPAddresses)
	}
}
