package imap

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

type memServer struct {
	addr string
	user *imapmemserver.User
	tls  *tls.Config // client side: trusts the server
}

// startServer runs go-imap's in-memory server on loopback; with starttls, STARTTLS is
// offered with a fresh self-signed certificate.
func startServer(t *testing.T, starttls bool, caps imap.CapSet) *memServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("alex", "secret")
	user.Create("INBOX", nil)
	mem.AddUser(user)
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: !starttls,
		Logger:       quietLogger{},
	}
	ms := &memServer{user: user}
	if starttls {
		serverCfg, clientCfg := selfSigned(t)
		opts.TLSConfig, ms.tls = serverCfg, clientCfg
	}
	srv := imapserver.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	ms.addr = ln.Addr().String()
	return ms
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

func selfSigned(t *testing.T) (server, client *tls.Config) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

func (ms *memServer) append(t *testing.T, folder string, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		r := strings.NewReader(m)
		if _, err := ms.user.Append(folder, literal{r, int64(len(m))}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

type literal struct {
	io.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

func (ms *memServer) dial(t *testing.T, opts Options) (*Source, error) {
	t.Helper()
	conn, err := net.Dial("tcp", ms.addr)
	if err != nil {
		t.Fatal(err)
	}
	if opts.User == "" {
		opts.User = "alex"
	}
	if opts.Password == nil {
		opts.Password = func(context.Context) (string, error) { return "secret", nil }
	}
	return New(context.Background(), conn, opts)
}

type known struct {
	since uint32
	retry []uint32
}

func (k known) Handled(ref fetch.Ref) bool { return false }
func (k known) Since() uint32              { return k.since }
func (k known) Retry() []uint32            { return k.retry }

func fetchAll(t *testing.T, mb fetch.Mailbox, refs []fetch.Ref) map[uint32][]byte {
	t.Helper()
	got := map[uint32][]byte{}
	err := mb.Fetch(context.Background(), refs, func(ref fetch.Ref, r io.Reader) error {
		b, err := io.ReadAll(r)
		got[ref.UID] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestFetchByteExact(t *testing.T) {
	ms := startServer(t, true, nil)
	msgs := []string{
		"Subject: one\r\n\r\nhello\r\n",
		"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n",
		"Subject: no final newline\r\n\r\nend",
		"Subject: 8bit \xe9\xff\r\n\r\nbinary \x01\x7f\r\n",
		"Subject: long\r\n\r\n" + strings.Repeat("x", 200000) + "\r\n",
		"Subject: lone cr\r\n\r\na\rb\r\n",
	}
	ms.append(t, "INBOX", msgs...)
	src, err := ms.dial(t, Options{StartTLS: ms.tls, Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	mb, err := src.Open(context.Background(), "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	refs, err := mb.List(context.Background(), known{})
	if err != nil || len(refs) != len(msgs) {
		t.Fatalf("List = %d refs, err %v", len(refs), err)
	}
	got := fetchAll(t, mb, refs)
	for i, m := range msgs {
		want := strings.ReplaceAll(m, "\r\n", "\n")
		if string(got[uint32(i+1)]) != want {
			t.Errorf("message %d: got %q..., want %q...", i+1, trunc(got[uint32(i+1)]), trunc([]byte(want)))
		}
	}
	refs, _ = mb.List(context.Background(), known{since: uint32(len(msgs))})
	if len(refs) != 0 {
		t.Fatalf("List above the high-water mark = %v, want none", refs)
	}
	refs, _ = mb.List(context.Background(), known{since: 4, retry: []uint32{2}})
	if len(refs) != 3 || refs[0].UID != 2 || refs[1].UID != 5 {
		t.Fatalf("List with retry = %v, want UIDs 2, 5, 6", refs)
	}
}

func trunc(b []byte) []byte { return b[:min(len(b), 60)] }

func TestDeleteExactlyTheFetched(t *testing.T) {
	ms := startServer(t, true, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}})
	ms.append(t, "INBOX", "Subject: a\r\n\r\na\r\n", "Subject: b\r\n\r\nb\r\n", "Subject: c\r\n\r\nc\r\n")
	src, err := ms.dial(t, Options{StartTLS: ms.tls})
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := src.Open(context.Background(), "INBOX")
	if err := mb.Delete(context.Background(), []fetch.Ref{{UID: 1}, {UID: 3}}); err != nil {
		t.Fatal(err)
	}
	if err := mb.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.Close()
	src, _ = ms.dial(t, Options{StartTLS: ms.tls, Keep: true})
	defer src.Close()
	mb, _ = src.Open(context.Background(), "INBOX")
	refs, _ := mb.List(context.Background(), known{})
	if len(refs) != 1 || refs[0].UID != 2 {
		t.Fatalf("left on the server: %v, want UID 2 only", refs)
	}
}

func TestNoUIDPLUSNoDelete(t *testing.T) {
	ms := startServer(t, true, imap.CapSet{imap.CapIMAP4rev1: {}})
	ms.append(t, "INBOX", "Subject: a\r\n\r\na\r\n")
	src, err := ms.dial(t, Options{StartTLS: ms.tls})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	mb, _ := src.Open(context.Background(), "INBOX")
	if err := mb.Delete(context.Background(), []fetch.Ref{{UID: 1}}); !errors.Is(err, fetch.ErrCannotDelete) {
		t.Fatalf("Delete without UIDPLUS = %v, want ErrCannotDelete", err)
	}
}

func TestStartTLSRequired(t *testing.T) {
	ms := startServer(t, false, nil) // no STARTTLS offered
	_, err := ms.dial(t, Options{StartTLS: &tls.Config{ServerName: "127.0.0.1"}})
	if fail.KindOf(err) != fail.Security {
		t.Fatalf("STARTTLS not offered: err = %v (kind %v), want a security refusal", err, fail.KindOf(err))
	}
}

func TestNoPasswordInPlaintext(t *testing.T) {
	ms := startServer(t, false, nil)
	_, err := ms.dial(t, Options{})
	if fail.KindOf(err) != fail.Security {
		t.Fatalf("plaintext login: err = %v, want a security refusal", err)
	}
	src, err := ms.dial(t, Options{PlaintextOK: true})
	if err != nil {
		t.Fatalf("plaintext login allowed by the caller: %v", err)
	}
	src.Close()
}

func TestWrongPasswordIsAuthFailure(t *testing.T) {
	ms := startServer(t, true, nil)
	_, err := ms.dial(t, Options{StartTLS: ms.tls,
		Password: func(context.Context) (string, error) { return "wrong", nil }})
	if fail.KindOf(err) != fail.Auth || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: err = %v (kind %v), want fail.Auth without the password", err, fail.KindOf(err))
	}
}

func TestNonASCIIFolder(t *testing.T) {
	ms := startServer(t, true, nil)
	ms.user.Create("Entwürfe/Ärger & Co", nil)
	ms.append(t, "Entwürfe/Ärger & Co", "Subject: x\r\n\r\ny\r\n")
	src, err := ms.dial(t, Options{StartTLS: ms.tls, Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	mb, err := src.Open(context.Background(), "Entwürfe/Ärger & Co")
	if err != nil {
		t.Fatal(err)
	}
	refs, _ := mb.List(context.Background(), known{})
	if got := fetchAll(t, mb, refs); !bytes.Equal(got[1], []byte("Subject: x\n\ny\n")) {
		t.Fatalf("got %q", got[1])
	}
	if _, err := src.Open(context.Background(), "Nope"); fail.KindOf(err) != fail.Config {
		t.Fatalf("missing folder: %v (kind %v), want fail.Config", err, fail.KindOf(err))
	}
}
