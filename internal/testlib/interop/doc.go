// Package interop runs the mail servers the Debian manual names, besides Dovecot, as
// private instances for fetchsecure's interoperability matrix (docs/servers.md):
//
//   - [StartCyrus]: Cyrus IMAP 3.6, IMAP (STARTTLS), IMAPS, POP3 (STLS), POP3S and
//     LMTP ([CyrusLMTP]);
//   - [StartCourier]: Courier-IMAP 5 and Courier POP3, both TLS modes each;
//   - [StartPopa3d]: popa3d, a plaintext POP3 daemon, behind stunnel (POP3S);
//   - [StartExim], [StartPostfix]: SMTP delivery into maildirs, with recipients that
//     provoke 4xx and 5xx replies;
//   - [StartDovecotLMTP], [StartDovecotStore]: testlib's Dovecot in the same roles.
//
// # How they run
//
// Their Debian packages conflict with Dovecot's and with each other, so install.sh
// (`make interop-deps`) unpacks them into a private tree ([Root]) instead of
// installing them. Each instance runs in its own mount and PID namespace (unshare, so
// root is needed): the host's /usr and /etc overlaid with that tree and the
// instance's configuration and users, /var and /dev overlays whose upper layers lie
// in the test's temporary directory, a fresh /run. The servers listen on free
// loopback ports, log through their own /dev/log into the test's log (shown when a
// test fails), and die with their namespace when the test ends. Nothing on the host
// changes. Without root or the unpacked tree, a test is skipped with the reason, or
// fails under FETCHSECURE_REQUIRE_SERVERS=1.
//
// # What they serve
//
// Each server is filled the way mail reaches it (IMAP APPEND, an MDA's maildir file
// or mbox entry, Cyrus's reconstruct), and [Mailstore.Fill] returns what the server
// then holds. The Expect functions of expect.go say what each serves of that, and the
// Target's Expect what each delivery target stores of what it is sent: measured with
// this package's own clients ([ReadIMAP], [POP3Client], independent of go-imap and
// fetchsecure), and documented per server in docs/servers.md. [Record] and
// [RecordCaps] write the matrix's results for the table that command table renders.
package interop
