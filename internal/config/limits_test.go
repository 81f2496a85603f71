package config

import (
	"strings"
	"testing"
)

func TestMaxLineLength(t *testing.T) {
	if cfg := mustLoad(t, minimal); cfg.Accounts[0].MaxLine != 0 {
		t.Errorf("default max_line_length = %d, want 0 (the protocol's own)", cfg.Accounts[0].MaxLine)
	}
	if cfg := mustLoad(t, minimal+`max_line_length = "1MiB"`+"\n"); cfg.Accounts[0].MaxLine != 1<<20 {
		t.Errorf("max_line_length = %d, want 1 MiB", cfg.Accounts[0].MaxLine)
	}
	for _, bad := range []string{`"100B"`, `"1GiB"`, `"lots"`, `0`} {
		_, err := Load(writeConfig(t, minimal+"max_line_length = "+bad+"\n", 0o600))
		if err == nil || !strings.Contains(err.Error(), "max_line_length") {
			t.Errorf("max_line_length = %s: %v", bad, err)
		}
	}
}
