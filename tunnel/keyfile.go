package tunnel

import (
	"fmt"
	"io"
	"os"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// maxKeyFile bounds what is read of an identity file; real keys are a few kB.
const maxKeyFile = 1 << 20

// readKeyFile reads a private key file, refusing one that its group or others may
// access, as ssh(1) does ("UNPROTECTED PRIVATE KEY FILE"): such a key may already be
// in someone else's hands. The mode checked is that of the file actually opened.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fail.Hint(fail.Insecure,
			fmt.Errorf("identity_file %s has mode %04o: its group or others can read the private key", path, perm),
			"run chmod 600 "+path+" (ssh refuses such keys too)")
	}
	return io.ReadAll(io.LimitReader(f, maxKeyFile))
}
