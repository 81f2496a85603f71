package tunnel

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// TLSOptions is the TLS policy of one account (config keys tls_server_name, ca_file,
// tls_fingerprint).
type TLSOptions struct {
	ServerName string   // the name the certificate must carry
	CAFile     string   // extra trust anchors (PEM), in addition to the system roots
	Pins       []string // SHA-256 of the certificate's SubjectPublicKeyInfo, hex
}

// TLSConfig returns the client configuration for opts: TLS 1.2 or newer, and a server
// certificate that chains to the system roots or CAFile and carries ServerName.
//
// A pin is an explicit trust decision, like mpop's tls_fingerprint or ssh's known_hosts:
// with Pins set, a certificate whose public key matches a pin is accepted whatever its
// chain, names and dates say (that is what pinning a self-signed server needs), and any
// other certificate is refused even if a CA vouches for it.
//
// Verification is done in VerifyConnection rather than by crypto/tls itself, so that the
// errors carry fail.Security and a hint the user can act on (the server's pin, the names
// in its certificate). Callers must use the returned config as it is (Clone is fine).
func TLSConfig(opts TLSOptions) (*tls.Config, error) {
	pins, err := parsePins(opts.Pins)
	if err != nil {
		return nil, err
	}
	if strings.ContainsFunc(opts.ServerName, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fail.Errorf(fail.Config, "tls: server name %q holds a control character", opts.ServerName)
	}
	if opts.ServerName == "" && len(pins) == 0 {
		return nil, fail.Errorf(fail.Config, "tls: no server name to verify the certificate against")
	}
	roots, err := rootPool(opts.CAFile)
	if err != nil {
		return nil, err
	}
	v := &verifier{name: opts.ServerName, roots: roots, pins: pins, caFile: opts.CAFile}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         opts.ServerName,
		RootCAs:            roots,
		InsecureSkipVerify: true, // verified by VerifyConnection below, never skipped
		VerifyConnection:   v.verify,
	}, nil
}

// TLSVersion names a TLS version the way Received headers show it: "TLS1.3".
func TLSVersion(v uint16) string {
	return strings.ReplaceAll(tls.VersionName(v), " ", "")
}

// Pin returns the pin of a certificate: the hex SHA-256 of its SubjectPublicKeyInfo, the
// value tls_fingerprint takes after "sha256:".
func Pin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// parsePins accepts "sha256:AB:CD…", "abcd…" and the like, and returns bare lowercase hex.
func parsePins(in []string) (map[string]bool, error) {
	pins := make(map[string]bool, len(in))
	for _, p := range in {
		s := strings.ToLower(strings.TrimSpace(p))
		s = strings.ReplaceAll(strings.TrimPrefix(s, "sha256:"), ":", "")
		if b, err := hex.DecodeString(s); err != nil || len(b) != sha256.Size {
			return nil, fail.Hint(fail.Config, fmt.Errorf("tls_fingerprint %q is not a SHA-256 pin", p),
				`write tls_fingerprint = "sha256:" followed by 64 hex digits`)
		}
		pins[s] = true
	}
	return pins, nil
}

func rootPool(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if caFile == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fail.Wrap(fail.Config, fmt.Errorf("ca_file: %w", err))
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fail.Errorf(fail.Config, "ca_file %s holds no PEM certificate", caFile)
	}
	return pool, nil
}

type verifier struct {
	name   string
	roots  *x509.CertPool
	pins   map[string]bool
	caFile string
}

func (v *verifier) verify(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return fail.Errorf(fail.Security, "tls: the server sent no certificate")
	}
	leaf := cs.PeerCertificates[0]
	pin := Pin(leaf)
	if len(v.pins) > 0 {
		if v.pins[pin] {
			return nil
		}
		return fail.Hint(fail.Security,
			fmt.Errorf("tls: the certificate of %s has key sha256:%s, which matches no tls_fingerprint", v.name, pin),
			fmt.Sprintf(`if the server's key was replaced on purpose, set tls_fingerprint = "sha256:%s"`, pin))
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: v.name, Roots: v.roots, Intermediates: inter})
	if err != nil {
		return v.explain(err, leaf, pin)
	}
	return nil
}

// explain turns an x509 verification error into one that says what to do.
func (v *verifier) explain(err error, leaf *x509.Certificate, pin string) error {
	pinHint := fmt.Sprintf(`tls_fingerprint = "sha256:%s"`, pin)
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return fail.Hint(fail.Security,
			fmt.Errorf("tls: the certificate of %s (issued by %q) is signed by an unknown authority; its key is sha256:%s",
				v.name, leaf.Issuer.String(), pin),
			"set ca_file = \"/path/to/ca.pem\" to trust its CA, or pin this key with "+pinHint+
				" after checking it with the server's administrator")
	case errors.As(err, &host):
		return fail.Hint(fail.Security,
			fmt.Errorf("tls: the certificate is for %s, not %s", certNames(leaf), v.name),
			"set host or tls_server_name to one of the names in the certificate")
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return fail.Hint(fail.Security,
			fmt.Errorf("tls: the certificate of %s is valid only from %s to %s (now %s)", v.name,
				leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly),
				time.Now().UTC().Format(time.DateOnly)),
			"the server's administrator must renew it; check this machine's clock too")
	}
	return fail.Hint(fail.Security, fmt.Errorf("tls: certificate of %s: %w", v.name, err),
		"if you trust this server anyway, pin its key with "+pinHint)
}

// certNames lists the names a certificate is valid for, quoted so that odd bytes show.
func certNames(c *x509.Certificate) string {
	var names []string
	for _, n := range c.DNSNames {
		names = append(names, fmt.Sprintf("%q", n))
	}
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no host name at all"
	}
	return strings.Join(names, ", ")
}
