package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/state"
)

// lyingBox announces every message as 10 bytes long and leaves out the UIDs in skip
// when asked to fetch them: a server that lies about sizes and drops messages.
type lyingBox struct {
	*memMailbox
	skip map[uint32]bool
}

func (l lyingBox) List(ctx context.Context, known Known) ([]Ref, error) {
	refs, err := l.memMailbox.List(ctx, known)
	for i := range refs {
		refs[i].Size = 10
	}
	return refs, err
}

func (l lyingBox) Fetch(ctx context.Context, refs []Ref, fn func(Ref, io.Reader) error) error {
	var keep []Ref
	for _, r := range refs {
		if !l.skip[r.UID] {
			keep = append(keep, r)
		}
	}
	return l.memMailbox.Fetch(ctx, keep, fn)
}

type lyingSource struct{ box lyingBox }

func (s lyingSource) Open(context.Context, string) (Mailbox, error) { return s.box, nil }
func (s lyingSource) Close() error                                  { return nil }

func runLying(t *testing.T, box lyingBox, mod func(*Job)) (*FolderReport, *memSink) {
	t.Helper()
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sink := &memSink{delivered: map[string][]byte{}}
	j := &Job{Account: "a", Folders: []string{"INBOX"}, Sink: sink, State: st}
	mod(j)
	reports, err := j.Run(context.Background(), lyingSource{box})
	if err != nil {
		t.Fatal(err)
	}
	return reports[0], sink
}

// A size limit holds even when the server announces a smaller size than it sends.
func TestSizeLimitHoldsWhenTheServerLies(t *testing.T) {
	box := newBox(1, 3)
	box.msgs[4] = append(box.msgs[4], make([]byte, 5000)...)
	fr, sink := runLying(t, lyingBox{memMailbox: box}, func(j *Job) { j.Limit = 1000 })
	if fr.Delivered != 2 || fr.Skipped != 1 || len(sink.delivered) != 2 || len(box.msgs) != 1 {
		t.Fatalf("report %+v, delivered %d, left on the server %d", fr, len(sink.delivered), len(box.msgs))
	}
	if !strings.Contains(strings.Join(fr.Warnings, "\n"), "UID 4 announced 10 bytes") {
		t.Errorf("warnings %q", fr.Warnings)
	}
	fr, _ = runLying(t, lyingBox{memMailbox: newBox(1, 3)}, func(j *Job) { j.Limit = 1000; j.LimitAction = LimitFetch })
	if fr.Delivered != 3 {
		t.Errorf("limit_action = fetch delivered %d, want 3", fr.Delivered)
	}
}

// A message the server leaves out of its answer is warned about, wherever it lies in
// the batch, and stays on the server.
func TestUnreturnedMessagesAreWarned(t *testing.T) {
	for _, missing := range []uint32{2, 6} { // first and last of the batch
		box := newBox(1, 3)
		fr, _ := runLying(t, lyingBox{memMailbox: box, skip: map[uint32]bool{missing: true}}, func(*Job) {})
		want := "did not return message UID " + itoa(missing)
		if fr.Delivered != 2 || !strings.Contains(strings.Join(fr.Warnings, "\n"), want) {
			t.Errorf("UID %d missing: report %+v", missing, fr)
		}
		if _, ok := box.msgs[missing]; !ok {
			t.Errorf("UID %d was deleted without being delivered", missing)
		}
	}
}

func itoa(n uint32) string { return fmt.Sprint(n) }

func TestCapReader(t *testing.T) {
	r := &capReader{r: strings.NewReader("0123456789"), left: 10}
	if b, err := io.ReadAll(r); err != nil || len(b) != 10 {
		t.Fatalf("exactly at the limit: %q, %v", b, err)
	}
	r = &capReader{r: strings.NewReader("0123456789x"), left: 10}
	if _, err := io.ReadAll(r); !errors.Is(err, errGrew) {
		t.Fatalf("one byte over: %v", err)
	}
}
