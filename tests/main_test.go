// Package tests runs the built fetchsecure binary against real servers started for
// each test (a private Dovecot, OpenSSH sshd), and checks what users check: the bytes
// in the maildir, the messages left on the server, exit codes and output.
package tests

import (
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

func TestMain(m *testing.M) { testlib.Main(m) }
