package fetchmailrc

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// BenchmarkImport imports the upstream sample 200 times over (30,000 lines, 600 accounts).
func BenchmarkImport(b *testing.B) {
	src, err := os.ReadFile("testdata/32-fetchmail-upstream-sample.rc")
	if err != nil {
		b.Fatal(err)
	}
	big := bytes.Repeat(src, 200)
	b.SetBytes(int64(len(big)))
	for b.Loop() {
		if _, err := Import("big", big, Options{LocalUser: "me"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHostileInputsStayFast: inputs built to make a careless lexer quadratic. The bound
// is generous; a quadratic lexer takes minutes here.
func TestHostileInputsStayFast(t *testing.T) {
	for _, src := range [][]byte{
		bytes.Repeat([]byte("# "), 1<<19),        // comments with no newline to end them
		bytes.Repeat([]byte(`"a"b `), 1<<17),     // quotes that lose to bare words
		bytes.Repeat([]byte("nonsense "), 1<<17), // one syntax error after another
		append([]byte("poll a "), bytes.Repeat([]byte("folder x "), 1<<16)...),
	} {
		if _, err := Import("big", src, Options{LocalUser: "me"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestManyAccountsStayFast: names and tunnels are handed out without rescanning.
func TestManyAccountsStayFast(t *testing.T) {
	var same, tunnels, users bytes.Buffer
	for i := 0; i < 5000; i++ {
		same.WriteString("poll a user u pass p\n")
		fmt.Fprintf(&tunnels, "poll a via localhost port %d user u%d pass p preconnect \"ssh -f -L %d:h:143 gw%d\"\n", 1000+i, i, 1000+i, i)
		fmt.Fprintf(&users, "user u%d pass p is a b c here\n", i)
	}
	for _, src := range [][]byte{same.Bytes(), tunnels.Bytes(), append([]byte("poll a\n"), users.Bytes()...)} {
		if _, err := Import("big", src, Options{LocalUser: "me"}); err != nil {
			t.Fatal(err)
		}
	}
}
