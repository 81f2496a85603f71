package smtp

import (
	"testing"

	"github.com/fetchsecure/fetchsecure/deliver/spool/spooltest"
)

func TestMain(m *testing.M) { spooltest.Main(m) }
