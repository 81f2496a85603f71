package fetch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

func newBox(validity uint32, n int) *memMailbox {
	b := &memMailbox{validity: validity, msgs: map[uint32][]byte{}, uidls: map[uint32]string{}}
	for i := 1; i <= n; i++ {
		b.msgs[uint32(i*2)] = fmt.Appendf(nil, "Message-Id: <m%d@x>\r\nSubject: %d\r\n\r\nbody %d\r\n", i, i, i)
		b.uidls[uint32(i*2)] = fmt.Sprintf("uidl-%d", i)
	}
	return b
}

type rig struct {
	t    *testing.T
	dir  string
	src  *memSource
	sink *memSink
	st   *state.Store // of the run under way
}

func newRig(t *testing.T, boxes map[string]*memMailbox) *rig {
	return &rig{t: t, dir: t.TempDir(), src: &memSource{boxes: boxes},
		sink: &memSink{delivered: map[string][]byte{}}}
}

func (r *rig) run(keep bool, mod ...func(*Job)) ([]*FolderReport, error) {
	r.t.Helper()
	return r.runCtx(context.Background(), keep, mod...)
}

func (r *rig) runCtx(ctx context.Context, keep bool, mod ...func(*Job)) ([]*FolderReport, error) {
	r.t.Helper()
	st, err := state.Open(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	defer st.Close()
	r.st = st
	var sink Sink = verified{r.sink}
	if r.sink.blind {
		sink = r.sink
	}
	var folders []string
	for name := range r.src.boxes {
		folders = append(folders, name)
	}
	slices.Sort(folders)
	j := &Job{Account: "a", Folders: folders, Keep: keep, Sink: sink, State: st, BatchMessages: 3}
	for _, m := range mod {
		m(j)
	}
	return j.Run(ctx, r.src)
}

func TestKeepModeFetchesEachMessageOnce(t *testing.T) {
	r := newRig(t, map[string]*memMailbox{"INBOX": newBox(1, 10)})
	reports, err := r.run(true)
	if err != nil || reports[0].Delivered != 10 {
		t.Fatalf("first run: delivered=%d err=%v", reports[0].Delivered, err)
	}
	reports, err = r.run(true)
	if err != nil || reports[0].New != 0 || reports[0].Delivered != 0 {
		t.Fatalf("second run: new=%d delivered=%d err=%v", reports[0].New, reports[0].Delivered, err)
	}
	if len(r.src.boxes["INBOX"].msgs) != 10 || len(r.sink.delivered) != 10 {
		t.Fatalf("server has %d, target %d", len(r.src.boxes["INBOX"].msgs), len(r.sink.delivered))
	}
	r.src.boxes["INBOX"].msgs[100] = []byte("Subject: new\r\n\r\nnew\r\n")
	reports, _ = r.run(true)
	if reports[0].Delivered != 1 {
		t.Fatalf("third run delivered %d, want 1", reports[0].Delivered)
	}
}

func TestDeleteModeEmptiesTheServer(t *testing.T) {
	for _, validity := range []uint32{1, 0} { // IMAP, POP3
		r := newRig(t, map[string]*memMailbox{"INBOX": newBox(validity, 7)})
		reports, err := r.run(false)
		if err != nil || reports[0].Delivered != 7 || reports[0].Deleted != 7 {
			t.Fatalf("validity %d: %+v err=%v", validity, reports[0], err)
		}
		if n := len(r.src.boxes["INBOX"].msgs); n != 0 {
			t.Fatalf("validity %d: %d messages left on the server", validity, n)
		}
	}
}

func TestConnectionCutKeepsWhatWasStaged(t *testing.T) {
	box := newBox(1, 10)
	box.failAt = 5
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	reports, err := r.run(false)
	if err == nil || reports[0].Delivered != 5 {
		t.Fatalf("cut run: delivered=%d err=%v", reports[0].Delivered, err)
	}
	if reports[0].Deleted != 5 || len(box.msgs) != 5 {
		t.Fatalf("cut run deleted %d, %d left", reports[0].Deleted, len(box.msgs))
	}
	box.failAt = 0
	if _, err := r.run(false); err != nil {
		t.Fatal(err)
	}
	if len(r.sink.delivered) != 10 || len(box.msgs) != 0 {
		t.Fatalf("after rerun: delivered %d, %d left on server", len(r.sink.delivered), len(box.msgs))
	}
}

func TestFailedDeliveryIsRetried(t *testing.T) {
	box := newBox(1, 6)
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	r.sink.failNext = map[string]error{"Message-Id: <m2@x>": fail.Errorf(fail.Temporary, "mda exit 75")}
	reports, err := r.run(false)
	if fail.KindOf(err) != fail.Temporary || reports[0].Failed != 1 || reports[0].Delivered != 5 {
		t.Fatalf("run: %+v err=%v (kind %v)", reports[0], err, fail.KindOf(err))
	}
	if _, ok := box.msgs[4]; !ok || len(box.msgs) != 1 {
		t.Fatalf("the failed message must stay on the server, and only it: %v", box.sortedUIDs())
	}
	r.sink.failNext = nil
	reports, err = r.run(false)
	if err != nil || reports[0].Delivered != 1 || len(box.msgs) != 0 {
		t.Fatalf("retry run: %+v err=%v left=%d", reports[0], err, len(box.msgs))
	}
}

func TestInterruptedDeliveryIsRecovered(t *testing.T) {
	// A crash between Intend and Settle: the sink has the message, the state does
	// not know. The next run must not deliver it again.
	box := newBox(1, 2)
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	st, _ := state.Open(r.dir)
	st.SetValidity("INBOX", 1)
	st.Intend("INBOX", []state.Intent{{Key: state.Key{UID: 2}, Receipt: "r-crash"}})
	st.Close()
	r.sink.delivered["r-crash"] = box.msgs[2]
	reports, err := r.run(true)
	if err != nil || reports[0].Recovered != 1 || reports[0].Delivered != 1 || len(r.sink.delivered) != 2 {
		t.Fatalf("recovery run: %+v err=%v delivered=%d", reports[0], err, len(r.sink.delivered))
	}
}

func TestUIDValidityChangeDeliversNothingTwice(t *testing.T) {
	box := newBox(1, 4)
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	r.run(true)
	box.validity = 2
	box.msgs[50] = []byte("Message-Id: <new@x>\r\n\r\nnew\r\n")
	reports, err := r.run(true)
	if err != nil || reports[0].Delivered != 1 || reports[0].Duplicates != 4 || len(reports[0].Warnings) == 0 {
		t.Fatalf("after UIDVALIDITY change: %+v err=%v", reports[0], err)
	}
}

func TestDedupeAcrossFolders(t *testing.T) {
	a, b := newBox(1, 3), newBox(1, 3) // same Message-IDs, like Gmail labels
	r := newRig(t, map[string]*memMailbox{"A": a, "B": b})
	reports, err := r.run(true, func(j *Job) { j.Dedupe = true })
	if err != nil || reports[0].Delivered != 3 || reports[1].Delivered != 0 || reports[1].Duplicates != 3 {
		t.Fatalf("dedupe: %+v %+v err=%v", reports[0], reports[1], err)
	}
}

func TestSizeLimit(t *testing.T) {
	box := newBox(1, 3)
	box.msgs[4] = append(box.msgs[4], make([]byte, 1000)...)
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	reports, err := r.run(false, func(j *Job) { j.Limit = 500 })
	if err != nil || reports[0].Skipped != 1 || reports[0].Delivered != 2 || len(box.msgs) != 1 {
		t.Fatalf("skip: %+v err=%v left=%d", reports[0], err, len(box.msgs))
	}
	reports, _ = r.run(false, func(j *Job) { j.Limit = 500 })
	if reports[0].Skipped != 1 {
		t.Fatalf("the skipped message must be reported again: %+v", reports[0])
	}
	reports, _ = r.run(false, func(j *Job) { j.Limit = 500; j.LimitAction = LimitPlaceholder })
	if reports[0].Delivered != 0 || len(box.msgs) != 1 || len(r.sink.delivered) != 3 {
		t.Fatalf("placeholder: %+v left=%d delivered=%d", reports[0], len(box.msgs), len(r.sink.delivered))
	}
}

func TestNoUIDPLUSKeepsMessagesAndWarns(t *testing.T) {
	box := newBox(1, 2)
	box.noDelete = true
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	reports, err := r.run(false)
	if err != nil || len(box.msgs) != 2 || len(reports[0].Warnings) == 0 {
		t.Fatalf("no UIDPLUS: err=%v left=%d warnings=%v", err, len(box.msgs), reports[0].Warnings)
	}
}

func TestBrokenTargetStopsFetching(t *testing.T) {
	box := newBox(1, 30)
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	r.sink.failNext = map[string]error{"": errors.New("disk full")}
	_, err := r.run(true)
	if err == nil || box.fetches > 9 {
		t.Fatalf("err=%v, fetched %d messages from a broken target (want ≤ 3 batches)", err, box.fetches)
	}
}

func TestMaxMessages(t *testing.T) {
	box := newBox(1, 10)
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	reports, _ := r.run(true, func(j *Job) { j.MaxMessages = 4 })
	if reports[0].Delivered != 4 {
		t.Fatalf("delivered %d, want 4", reports[0].Delivered)
	}
	reports, _ = r.run(true)
	if reports[0].Delivered != 6 {
		t.Fatalf("second run delivered %d, want 6", reports[0].Delivered)
	}
}

func TestSeedMarksWithoutDelivering(t *testing.T) {
	for _, validity := range []uint32{1, 0} {
		box := newBox(validity, 5)
		r := newRig(t, map[string]*memMailbox{"INBOX": box})
		reports, err := r.run(false, func(j *Job) { j.Seed = true })
		if err != nil || reports[0].Seeded != 5 || len(r.sink.delivered) != 0 || len(box.msgs) != 5 {
			t.Fatalf("seed: %+v err=%v delivered=%d left=%d", reports[0], err, len(r.sink.delivered), len(box.msgs))
		}
		box.msgs[99] = []byte("Subject: later\r\n\r\nx\r\n")
		box.uidls[99] = "later"
		reports, _ = r.run(false)
		if reports[0].Delivered != 1 || len(box.msgs) != 5 {
			t.Fatalf("after seed: %+v left=%d, want only the new message fetched and deleted", reports[0], len(box.msgs))
		}
	}
}
