package testlib

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestBuildAndRun(t *testing.T) {
	bin := BuildBinary(t, "./internal/testlib/testdata/exitwith")
	if again := BuildBinary(t, "./internal/testlib/testdata/exitwith"); again != bin {
		t.Errorf("second build at %s, first at %s: want one build per process", again, bin)
	}
	r := Run(t, bin, "3", "a b")
	if r.Code != 3 || string(r.Stdout) != "[3 a b]\n" || string(r.Stderr) != "to stderr\n" {
		t.Errorf("Run = %s", r)
	}
	if r := Run(t, bin); r.Code != 0 {
		t.Errorf("Run without arguments = %s", r)
	}
}

func TestRunTimeout(t *testing.T) {
	bin := BuildBinary(t, "./internal/testlib/testdata/exitwith")
	begin := time.Now()
	r := record(t, func(tb testing.TB) { RunCommand(tb, exec.Command(bin, "sleep"), 100*time.Millisecond) })
	if !r.fatal || !strings.Contains(strings.Join(r.msgs, ""), "did not finish within 100ms") {
		t.Errorf("RunCommand of a hung binary: fatal=%v %q", r.fatal, r.msgs)
	}
	if time.Since(begin) > time.Minute {
		t.Errorf("RunCommand waited %v for a hung binary", time.Since(begin))
	}
}

func TestBuildFailure(t *testing.T) {
	r := record(t, func(tb testing.TB) { BuildBinary(tb, "./internal/testlib/testdata/nonexistent") })
	if !r.fatal {
		t.Error("building a missing package did not fail")
	}
	if _, err := os.Stat(os.TempDir()); err != nil {
		t.Fatal(err)
	}
}
