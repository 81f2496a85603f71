package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	holder := struct {
		User string
		Pass Secret
		Src  Source
	}{"me", s, Source{Literal: s}}
	for _, format := range []string{"%v", "%s", "%+v", "%#v", "%q", "%x", "%X", "%10s", "%T %d"} {
		for _, v := range []any{s, &holder, holder, []Secret{s}, map[string]Secret{"k": s}} {
			if out := fmt.Sprintf(format, v); strings.Contains(out, "hunter2") ||
				strings.Contains(out, fmt.Sprintf("%x", "hunter2")) {
				t.Errorf("Sprintf(%q, %T) = %s", format, v, out)
			}
		}
	}
	if s.Reveal() != "hunter2" {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}

func TestSecretInSlogAndJSON(t *testing.T) {
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("login", "password", Secret("hunter2"), slog.Any("any", Secret("hunter2")),
			slog.Group("g", "p", Secret("hunter2")))
	}
	b, err := json.Marshal(map[string]any{"p": Secret("hunter2"), "src": Source{Literal: "hunter2"}})
	if err != nil {
		t.Fatal(err)
	}
	buf.Write(b)
	if out := buf.String(); strings.Contains(out, "hunter2") || !strings.Contains(out, "***") {
		t.Errorf("leaked or not masked:\n%s", out)
	}
}

func TestSourceString(t *testing.T) {
	for _, tc := range []struct {
		src  Source
		want string
	}{
		{Source{}, "none"},
		{Source{Literal: "hunter2"}, "literal"},
		{Source{Command: []string{"pass", "show", "hunter2"}}, `command "pass"`},
		{Source{File: "/p/w"}, `file "/p/w"`},
	} {
		if got := tc.src.String(); got != tc.want || tc.src.IsZero() != (tc.want == "none") {
			t.Errorf("%v: String() = %q, IsZero() = %v", tc.want, got, tc.src.IsZero())
		}
	}
}
