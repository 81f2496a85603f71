package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// DirEnv names the variable that says where install.sh put the packages; the
// default is DefaultDir.
const DirEnv = "FETCHSECURE_INTEROP_DIR"

// DefaultDir is where install.sh unpacks the packages unless DirEnv says otherwise.
const DefaultDir = "/var/tmp/fetchsecure-interop"

// Root returns the tree install.sh unpacked the packages into.
func Root() string {
	dir := os.Getenv(DirEnv)
	if dir == "" {
		dir = DefaultDir
	}
	return filepath.Join(dir, "root")
}

// requireRoot returns the unpacked tree, after checking that server can run: the
// test runs as root (mount namespaces need it) and the packages are unpacked. If
// not, the test is skipped with the reason, or fails when FETCHSECURE_REQUIRE_SERVERS=1.
func requireRoot(t testing.TB, server string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, server+" runs in a private mount namespace, which needs root")
	}
	if err := canUnshare(); err != nil {
		missing(t, server+" runs in a private mount namespace, which this machine refuses "+
			"(an unprivileged container?): "+err.Error())
	}
	root := Root()
	for _, p := range []string{"usr/lib/cyrus/bin/master", "usr/sbin/couriertcpd", "usr/sbin/popa3d",
		"usr/bin/stunnel4", "usr/sbin/exim4", "usr/sbin/postfix"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			missing(t, server+": the interop packages are not unpacked in "+root+
				" (run `make interop-deps` as root, or internal/testlib/interop/install.sh)")
		}
	}
	return root
}

var unshareOnce = sync.OnceValue(func() error {
	out, err := exec.Command("unshare", "--mount", "--pid", "--fork", "true").CombinedOutput()
	if err != nil {
		return fmt.Errorf("unshare: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
})

// canUnshare reports whether mount and PID namespaces can be made here (root in a
// container without CAP_SYS_ADMIN cannot).
func canUnshare() error { return unshareOnce() }

// missing skips or fails the test as testlib.RequireServer does.
func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(testlib.RequireEnv) == "1" {
		t.Fatalf("%s, and %s=1 requires it", what, testlib.RequireEnv)
	}
	t.Skipf("%s (set %s=1 to make this a failure)", what, testlib.RequireEnv)
}
