package fail

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindAndHintSurviveWrapping(t *testing.T) {
	base := Hint(Auth, errors.New("refused"), "check the password")
	err := fmt.Errorf("account work: %w", base)
	if KindOf(err) != Auth || HintOf(err) != "check the password" || !errors.Is(err, base) {
		t.Fatalf("KindOf=%v HintOf=%q Is=%v", KindOf(err), HintOf(err), errors.Is(err, base))
	}
	if KindOf(errors.New("plain")) != Internal || HintOf(errors.New("plain")) != "" {
		t.Fatal("an unclassified error must be Internal without a hint")
	}
	if Wrap(Config, nil) != nil || Hint(Config, nil, "x") != nil {
		t.Fatal("wrapping nil must give nil")
	}
	// The outermost kind wins: a caller may reclassify.
	if KindOf(Wrap(Temporary, Errorf(Protocol, "x"))) != Temporary {
		t.Fatal("the outer kind must win")
	}
	if !IsTemporary(Errorf(Temporary, "later")) {
		t.Fatal("IsTemporary")
	}
	for k := Internal; k <= Protocol; k++ {
		if k.String() == "" || k.String()[0] == 'k' {
			t.Errorf("kind %d has no name", k)
		}
	}
}
