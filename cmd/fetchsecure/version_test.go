package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-V"}} {
		var out, errs bytes.Buffer
		if code := dispatch(args, &out, &errs); code != 0 || !strings.HasPrefix(out.String(), "fetchsecure ") {
			t.Errorf("%v: exit %d, output %q %q", args, code, out.String(), errs.String())
		}
	}
}
