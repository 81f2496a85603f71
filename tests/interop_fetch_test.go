package tests

import (
	"fmt"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
	"github.com/fetchsecure/fetchsecure/internal/testlib/interop"
)

func TestInteropDovecot(t *testing.T) {
	fetchMatrix(t, "dovecot", func() interop.Mailstore { return interop.StartDovecotStore(t) })
}

func TestInteropCyrus(t *testing.T) {
	fetchMatrix(t, "cyrus", func() interop.Mailstore { return interop.StartCyrus(t, interop.CyrusOptions{}) })
}

func TestInteropCourier(t *testing.T) {
	fetchMatrix(t, "courier", func() interop.Mailstore { return interop.StartCourier(t, interop.CourierOptions{}) })
}

// TestInteropCourierNoUIDPLUS: Courier announcing no UIDPLUS. Delete mode must
// deliver everything and delete nothing, not even flag it \Deleted: only a plain
// EXPUNGE could remove it, and that would remove other clients' \Deleted mail too.
func TestInteropCourierNoUIDPLUS(t *testing.T) {
	gateServer(t, "courier-nouidplus")
	srv := interop.StartCourier(t, interop.CourierOptions{NoUIDPLUS: true})
	users := addUsers(t, srv, 2)
	probe(t, srv, users())
	plain, _ := interopCorpus()
	for _, ep := range srv.Endpoints() {
		if ep.Protocol == "imap" && ep.TLS == "tls" {
			t.Run("imap/TLS/direct/delete", func(t *testing.T) {
				gate(t, "courier-nouidplus/imap/TLS/direct/delete")
				cell{srv: srv, ep: ep, mode: "delete", msgs: plain, user: users()}.run(t)
			})
		}
	}
}

func TestInteropPopa3d(t *testing.T) {
	fetchMatrix(t, "popa3d", func() interop.Mailstore { return interop.StartPopa3d(t) })
}

// fetchMatrix fetches the nasty corpus from every endpoint of a server in keep and in
// delete mode, its NUL messages once per endpoint, and through the SSH tunnel once
// per protocol, and records the server's capabilities.
func fetchMatrix(t *testing.T, name string, start func() interop.Mailstore) {
	gateServer(t, name)
	testlib.CheckGoroutines(t)
	srv := start()
	users := addUsers(t, srv, 32)
	probe(t, srv, users())
	plain, nul := interopCorpus()
	var cells []cell
	for _, ep := range srv.Endpoints() {
		cells = append(cells, cell{srv: srv, ep: ep, mode: "keep", msgs: plain, user: users()},
			cell{srv: srv, ep: ep, mode: "delete", msgs: plain, user: users()},
			cell{srv: srv, ep: ep, mode: "NUL", msgs: nul, user: users()})
	}
	var tun *tunnelTo
	for _, ep := range sshEndpoints(srv) {
		if tun == nil {
			tun = startTunnel(t)
		}
		cells = append(cells, cell{srv: srv, ep: ep, ssh: tun, mode: "keep", msgs: plain, user: users()})
	}
	for _, ep := range srv.Endpoints() {
		if ep.Protocol == "imap" && ep.TLS == "tls" && srv.Folder("Lists/go-nuts") != "INBOX" {
			user := users()
			t.Run("imap/TLS/direct/folders", func(t *testing.T) {
				gate(t, name+"/imap/TLS/direct/folders")
				foldersCell(t, srv, ep, user)
			})
		}
	}
	for _, c := range cells {
		id := fmt.Sprintf("%s/%s/%s/%s/%s", name, c.ep.Protocol, c.tlsName(), c.via(), c.mode)
		t.Run(id[len(name)+1:], func(t *testing.T) {
			gate(t, id)
			c.run(t)
		})
	}
}

// sshEndpoints picks, per protocol, what an SSH tunnel user configures: the
// plaintext port with tls = "none" (the SSH connection protects it), or implicit TLS
// where the server has no plaintext port.
func sshEndpoints(srv interop.Mailstore) []interop.Endpoint {
	var out []interop.Endpoint
	seen := map[string]bool{}
	for _, want := range []string{"starttls", "tls"} {
		for _, ep := range srv.Endpoints() {
			if ep.TLS == want && !seen[ep.Protocol] {
				seen[ep.Protocol] = true
				if want == "starttls" {
					ep.TLS = "none"
				}
				out = append(out, ep)
			}
		}
	}
	return out
}

// probe records what the server announces.
func probe(t *testing.T, srv interop.Mailstore, user string) {
	t.Helper()
	for _, c := range srv.Probe(t, user, password) {
		t.Logf("%s %s: %s\n  %v", c.Server, c.Protocol, c.Greeting, c.Caps)
		interop.RecordCaps(t, c)
	}
}

// addUsers adds n users and returns a function that hands them out. testlib's
// Dovecot notices a changed passwd-file by its modification time: a user added in
// the second of an earlier lookup would stay unknown. So every user is added before
// the first lookup.
func addUsers(t *testing.T, srv interop.Mailstore, n int) func() string {
	t.Helper()
	var names []string
	for range n {
		name := fmt.Sprintf("u%d", userSeq.Add(1))
		srv.AddUser(t, name, password)
		names = append(names, name)
	}
	return func() string {
		u := names[0]
		names = names[1:]
		return u
	}
}
