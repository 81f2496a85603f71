// Package certgen makes private certificate authorities and the server certificates
// they sign, in memory, for servers that fetchsecure's demo and tests run on loopback.
// Keys are ECDSA P-256: fast to generate and accepted by every TLS stack (Go, and
// OpenSSL in Dovecot). Nothing here is meant for production certificates.
package certgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// DefaultNames are the names a certificate covers when [Options] names none: every
// way a client may reach a loopback server.
var DefaultNames = []string{"127.0.0.1", "::1", "localhost"}

// CA is a certificate authority: its certificate, its key and the certificate in PEM,
// as a ca_file setting reads it.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	PEM  []byte
}

// Cert is a certificate with its private key, as values for in-process servers and as
// PEM for servers that load files.
type Cert struct {
	Leaf    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte // PKCS #8
}

// Options describe a server certificate. The zero value is a certificate for
// [DefaultNames], valid from an hour ago (clock skew) for a day.
type Options struct {
	Names      []string // DNS names and IP addresses; DefaultNames if empty
	CommonName string   // subject CN; the first name if empty
	NotBefore  time.Time
	NotAfter   time.Time
}

// NewCA makes a CA named commonName, valid from an hour ago for a day.
func NewCA(commonName string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // it signs server certificates only, never another CA
	}
	cert, certPEM, err := create(tmpl, tmpl, key, key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, PEM: certPEM}, nil
}

// Issue returns a server certificate described by o, signed by ca.
func (ca *CA) Issue(o Options) (*Cert, error) {
	return issue(leafTemplate(o), ca.Cert, ca.Key)
}

// SelfSigned returns a server certificate described by o that signs itself and chains
// to no CA.
func SelfSigned(o Options) (*Cert, error) {
	tmpl := leafTemplate(o)
	return issue(tmpl, tmpl, nil)
}

// Pool returns a pool holding only ca, for tls.Config.RootCAs.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// TLSCertificate returns c for tls.Config.Certificates.
func (c *Cert) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.Leaf.Raw}, PrivateKey: c.Key, Leaf: c.Leaf}
}

// TLSConfig returns a server configuration presenting c.
func (c *Cert) TLSConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate()}, MinVersion: tls.VersionTLS12}
}

// issue makes a key and a certificate from tmpl signed by parent's signer; a nil
// signer means the new key signs itself.
func issue(tmpl, parent *x509.Certificate, signer crypto.Signer) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	if signer == nil {
		signer = key
	}
	leaf, certPEM, err := create(tmpl, parent, key, signer)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return &Cert{Leaf: leaf, Key: key, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

func leafTemplate(o Options) *x509.Certificate {
	names := o.Names
	if len(names) == 0 {
		names = DefaultNames
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: o.CommonName},
		NotBefore:   o.NotBefore,
		NotAfter:    o.NotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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

// create signs tmpl with a random serial number (RFC 5280 §4.1.2.2: positive, at most
// 20 octets) and returns the parsed certificate and its PEM.
func create(tmpl, parent *x509.Certificate, key, signer crypto.Signer) (*x509.Certificate, []byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("serial number: %w", err)
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
