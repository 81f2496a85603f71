package testlib

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// DefaultNames are the names a certificate from [CA.Issue] covers when none are given:
// every way a test may reach a loopback server.
var DefaultNames = []string{"127.0.0.1", "::1", "localhost"}

// CA is a private certificate authority for one test. Clients trust it through
// [CA.Pool] or, like a ca_file setting, through the PEM file at [CA.File].
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	PEM  []byte // the CA certificate, PEM-encoded
	File string // path of a file holding PEM
	dir  string
}

// Cert is a certificate with its private key, as PEM files for servers that load
// files (Dovecot's ssl_cert/ssl_key) and as values for in-process servers.
type Cert struct {
	Leaf     *x509.Certificate
	Key      crypto.Signer
	CertPEM  []byte
	KeyPEM   []byte
	CertFile string
	KeyFile  string
}

// CertOptions describe a certificate for [CA.IssueWith]. The zero value is a
// certificate for [DefaultNames], valid from an hour ago for a day.
type CertOptions struct {
	Names      []string // DNS names and IP addresses; DefaultNames if empty
	CommonName string   // subject CN; the first name if empty
	NotBefore  time.Time
	NotAfter   time.Time
}

var serial atomic.Int64

// NewCA makes a CA whose files live in a temporary directory of t.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: "fetchsecure test CA", Organization: []string{"fetchsecure tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	cert, certPEM := createCert(t, tmpl, tmpl, key, key)
	ca := &CA{Cert: cert, Key: key, PEM: certPEM, dir: t.TempDir()}
	ca.File = writeFile(t, ca.dir, "ca.pem", certPEM)
	return ca
}

// Pool returns a pool holding only this CA, for tls.Config.RootCAs.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// ClientConfig returns a client configuration that trusts only this CA and expects
// serverName ("127.0.0.1" when empty).
func (ca *CA) ClientConfig(serverName string) *tls.Config {
	if serverName == "" {
		serverName = "127.0.0.1"
	}
	return &tls.Config{RootCAs: ca.Pool(), ServerName: serverName, MinVersion: tls.VersionTLS12}
}

// Issue returns a server certificate for names (DefaultNames when none are given).
func (ca *CA) Issue(t testing.TB, names ...string) *Cert {
	t.Helper()
	return ca.IssueWith(t, CertOptions{Names: names})
}

// IssueWith returns a server certificate described by o.
func (ca *CA) IssueWith(t testing.TB, o CertOptions) *Cert {
	t.Helper()
	key := newKey(t)
	return createCertFiles(t, ca.dir, leafTemplate(o), ca.Cert, key, ca.Key)
}

// IssueExpired returns a certificate for DefaultNames that expired an hour ago.
func (ca *CA) IssueExpired(t testing.TB) *Cert {
	t.Helper()
	now := time.Now()
	return ca.IssueWith(t, CertOptions{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)})
}

// IssueNotYetValid returns a certificate for DefaultNames that becomes valid tomorrow.
func (ca *CA) IssueNotYetValid(t testing.TB) *Cert {
	t.Helper()
	now := time.Now()
	return ca.IssueWith(t, CertOptions{NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(48 * time.Hour)})
}

// IssueWrongName returns a valid certificate for "wrong.example" only, so a client
// that connects to 127.0.0.1 or localhost must refuse it.
func (ca *CA) IssueWrongName(t testing.TB) *Cert {
	t.Helper()
	return ca.IssueWith(t, CertOptions{Names: []string{"wrong.example"}})
}

// NULName is the name carried by [CA.IssueNULName]'s certificate: a client comparing
// C strings would read it as "localhost" (the 2009 "null prefix" attack).
const NULName = "localhost\x00.wrong.example"

// IssueNULName returns a certificate whose CN and only DNS SAN are [NULName]. Go's
// x509 creates it (a NUL is a valid IA5String byte) and parses it back; Go's hostname
// check compares whole strings, so it must not match "localhost".
func (ca *CA) IssueNULName(t testing.TB) *Cert {
	t.Helper()
	return ca.IssueWith(t, CertOptions{Names: []string{NULName}, CommonName: NULName})
}

// SelfSigned returns a certificate for names (DefaultNames when none are given) that
// signs itself and chains to no CA.
func SelfSigned(t testing.TB, names ...string) *Cert {
	t.Helper()
	key := newKey(t)
	tmpl := leafTemplate(CertOptions{Names: names})
	return createCertFiles(t, t.TempDir(), tmpl, tmpl, key, key)
}

// TLSCertificate returns c for tls.Config.Certificates.
func (c *Cert) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.Leaf.Raw}, PrivateKey: c.Key, Leaf: c.Leaf}
}

// TLSConfig returns a server configuration presenting c, for in-process servers.
func (c *Cert) TLSConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate()}, MinVersion: tls.VersionTLS12}
}

// SPKIPin returns the pin of cert as a tls_fingerprint setting spells it: "sha256:"
// and the lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (as HPKP, RFC 7469
// §2.4, hashes it), so a pin survives re-issuing a certificate for the same key.
func SPKIPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func leafTemplate(o CertOptions) *x509.Certificate {
	names := o.Names
	if len(names) == 0 {
		names = DefaultNames
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: o.CommonName},
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tmpl.Subject.CommonName == "" {
		tmpl.Subject.CommonName = names[0]
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = now.Add(24 * time.Hour)
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return tmpl
}

// newKey makes a P-256 key: fast to generate and understood by every TLS stack
// (OpenSSL in Dovecot and sshd, Go).
func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return key
}

func nextSerial() *big.Int { return big.NewInt(time.Now().UnixNano() + serial.Add(1)) }

func createCert(t testing.TB, tmpl, parent *x509.Certificate, pub, signer crypto.Signer) (*x509.Certificate, []byte) {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub.Public(), signer)
	if err != nil {
		t.Fatalf("create certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func createCertFiles(t testing.TB, dir string, tmpl, parent *x509.Certificate, key, signer crypto.Signer) *Cert {
	t.Helper()
	leaf, certPEM := createCert(t, tmpl, parent, key, signer)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	c := &Cert{Leaf: leaf, Key: key, CertPEM: certPEM,
		KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}
	base := "cert-" + leaf.SerialNumber.String()
	c.CertFile = writeFile(t, dir, base+".pem", c.CertPEM)
	c.KeyFile = writeFile(t, dir, base+".key", c.KeyPEM)
	return c
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
	return p
}
