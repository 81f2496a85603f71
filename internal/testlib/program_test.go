package testlib

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestProgramBehavesLikeATest(t *testing.T) {
	var out bytes.Buffer
	p := NewProgram("prog", &out)
	var order []string
	var dir string
	reached := false
	err := p.Run(func() {
		dir = p.TempDir()
		p.Cleanup(func() { order = append(order, "first") })
		p.Cleanup(func() { order = append(order, "second") })
		p.Fatalf("stop here: %d", 42)
		reached = true
	})
	if err == nil || reached {
		t.Fatalf("Run after Fatalf: err %v, code after Fatalf reached %v", err, reached)
	}
	if !strings.Contains(out.String(), "prog: stop here: 42") {
		t.Errorf("log output %q lacks the Fatalf message", out.String())
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("TempDir gone before Close: %v", err)
	}
	p.Close()
	if strings.Join(order, ",") != "second,first" {
		t.Errorf("cleanups ran as %v, want newest first", order)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("TempDir %s survives Close: %v", dir, err)
	}
}

func TestProgramSkip(t *testing.T) {
	p := NewProgram("prog", &bytes.Buffer{})
	defer p.Close()
	if err := p.Run(func() { p.Skip("no server") }); err == nil || !p.Skipped() || p.Failed() {
		t.Fatalf("Skip: err %v, skipped %v, failed %v", err, p.Skipped(), p.Failed())
	}
}
