package fetch

import (
	"context"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// crashAfter makes the rig's run "crash" once the sink has n messages: the state
// refuses every later write, as if the process had died, so the run leaves exactly
// what a crash at that instant would (tests/crash_test.go does it for real).
func (r *rig) crashAfter(n int) {
	r.sink.onPublish = func(total int) {
		if total == n {
			r.st.Close()
		}
	}
}

// TestBlindSinkCrashDoubtsOneMessage: with a sink that cannot be asked after a crash
// (an MDA), a crash in the middle of a batch must leave at most one message that may
// be delivered twice, and say so. Journaling a whole batch's intents before handing
// it to the MDA would make every message the MDA had already taken a duplicate.
func TestBlindSinkCrashDoubtsOneMessage(t *testing.T) {
	box := newBox(1, 10)
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	r.sink.blind = true
	r.crashAfter(5) // in the middle of the second batch of 3
	if _, err := r.run(false); err == nil {
		t.Fatal("the crashed run reported no error")
	}
	r.sink.onPublish = nil
	reports, err := r.run(false)
	if err != nil {
		t.Fatal(err)
	}
	twice := 0
	for body, n := range r.sink.copies() {
		if n > 2 {
			t.Errorf("delivered %d times: %q", n, body)
		}
		twice += n - 1
	}
	if len(r.sink.copies()) != 10 || len(box.msgs) != 0 || twice > 1 {
		t.Fatalf("%d distinct messages delivered (want 10), %d duplicates (want ≤ 1), %d left on the server",
			len(r.sink.copies()), twice, len(box.msgs))
	}
	if reports[0].Doubtful != 1 || !strings.Contains(strings.Join(reports[0].Warnings, "\n"), "may have been delivered twice") {
		t.Fatalf("the doubtful delivery is not reported: %+v", reports[0])
	}
}

// TestDedupeKnowsRecoveredDeliveries: a delivery found complete after a crash must be
// recorded with its Message-ID, or the same message in another folder (a Gmail label)
// is delivered again.
func TestDedupeKnowsRecoveredDeliveries(t *testing.T) {
	a, b := newBox(1, 3), newBox(1, 3)
	r := newRig(t, map[string]*memMailbox{"A": a, "B": b})
	r.crashAfter(3) // folder A published, not settled
	dedupe := func(j *Job) { j.Dedupe = true }
	if _, err := r.run(true, dedupe); err == nil {
		t.Fatal("the crashed run reported no error")
	}
	r.sink.onPublish = nil
	reports, err := r.run(true, dedupe)
	if err != nil || reports[0].Recovered != 3 || reports[1].Delivered != 0 || reports[1].Duplicates != 3 {
		t.Fatalf("after recovery: A %+v, B %+v, err=%v", reports[0], reports[1], err)
	}
}

// TestCutMidMessageIsNeverPublished: when the connection breaks in the middle of a
// message, the part read must not be delivered, even by a sink that does not notice
// the read error, and the error must say the server connection broke.
func TestCutMidMessageIsNeverPublished(t *testing.T) {
	box := newBox(1, 3)
	box.cutAt = 2 // message 2 breaks off after a few bytes
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	r.sink.lenient = true
	reports, err := r.run(false)
	if err == nil || reports[0].Delivered != 1 || reports[0].Failed != 1 {
		t.Fatalf("cut run: %+v err=%v", reports[0], err)
	}
	if w := strings.Join(reports[0].Warnings, "\n"); !strings.Contains(w, "reading it from the server") ||
		!fail.IsTemporary(reports[0].Err) {
		t.Errorf("the error does not say the connection broke, or is not temporary: %s (%v)", w, fail.KindOf(reports[0].Err))
	}
	for _, body := range r.sink.delivered {
		if !strings.HasSuffix(string(body), "\n") {
			t.Errorf("a torn message was delivered: %q", body)
		}
	}
	box.cutAt = 0
	r.sink.lenient = false
	if reports, err = r.run(false); err != nil || reports[0].Delivered != 2 || len(box.msgs) != 0 {
		t.Fatalf("rerun: %+v err=%v, %d left on the server", reports[0], err, len(box.msgs))
	}
}

// TestBlindSinkStopsAtCancel: when the run is stopped (SIGTERM) in the middle of a batch
// for an MDA, the rest of the batch is neither handed over nor journaled one by one; it
// is retried next run, and nothing is lost.
func TestBlindSinkStopsAtCancel(t *testing.T) {
	box := newBox(1, 6)
	r := newRig(t, map[string]*memMailbox{"INBOX": box})
	r.sink.blind = true
	ctx, cancel := context.WithCancel(context.Background())
	r.sink.onPublish = func(total int) {
		if total == 2 {
			cancel()
		}
	}
	if _, err := r.runCtx(ctx, false); err == nil {
		t.Fatal("a stopped run reported no error")
	}
	if r.sink.published != 2 {
		t.Fatalf("%d messages handed over after the stop, want 2", r.sink.published)
	}
	r.sink.onPublish = nil
	reports, err := r.run(false)
	if err != nil || reports[0].Doubtful != 0 || len(r.sink.copies()) != 6 || len(box.msgs) != 0 {
		t.Fatalf("rerun: %+v err=%v, %d delivered, %d left", reports[0], err, len(r.sink.copies()), len(box.msgs))
	}
}
