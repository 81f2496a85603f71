package handoff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// runHandoff hands bodies over, numbered from 1, and runs fn on each.
func runHandoff(bodies []io.Reader, fn func(*Message[int]) error) (consumed, produced error) {
	h := New[int]()
	done := make(chan error, 1)
	go func() {
		var err error
		for i, b := range bodies {
			if err = h.Send(i+1, FillFrom(b)); err != nil {
				break
			}
		}
		done <- err
		h.Close()
	}()
	consumed = h.Consume(fn)
	return consumed, <-done
}

func TestHandoffCarriesEveryByte(t *testing.T) {
	sizes := []int{0, 1, chunkSize/2 - 1, chunkSize, 3*chunkSize + 7, 5 << 20}
	var bodies []io.Reader
	var want [][]byte
	for i, n := range sizes {
		line := fmt.Sprintf("line %d\r\n.\r\n\x00\xff\r", i)
		in := bytes.Repeat([]byte(line), n/len(line)+1)[:n]
		bodies = append(bodies, bytes.NewReader(in))
		want = append(want, in)
	}
	var got [][]byte
	_, err := runHandoff(bodies, func(m *Message[int]) error {
		var r io.Reader = m
		if m.Meta%2 == 0 {
			r = iotest.OneByteReader(m) // small reads by the consumer too
		}
		b, err := io.ReadAll(r)
		got = append(got, b)
		return err
	})
	if err != nil || len(got) != len(want) {
		t.Fatalf("handed %d messages, error %v; want %d", len(got), err, len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("message %d (%d bytes) came out as %d different bytes", i+1, sizes[i], len(got[i]))
		}
	}
}

// A consumer that leaves a message unread (a skipped message) must not stall the
// producer, nor see that message's bytes in the next one.
func TestHandoffDrainsUnreadMessages(t *testing.T) {
	big := strings.Repeat("x\r\n", 200_000)
	bodies := []io.Reader{strings.NewReader(big), strings.NewReader("second\r\n"),
		strings.NewReader(big), strings.NewReader("fourth\r\n")}
	var got []string
	_, err := runHandoff(bodies, func(m *Message[int]) error {
		if m.Meta%2 == 1 {
			p := make([]byte, 10)
			_, err := m.Read(p) // one read, then abandon the rest
			return err
		}
		b, err := io.ReadAll(m)
		got = append(got, string(b))
		return err
	})
	if err != nil || strings.Join(got, "|") != "second\r\n|fourth\r\n" {
		t.Fatalf("got %q, error %v", got, err)
	}
}

// A reader kept past its callback fails instead of ending like a complete message.
func TestHandoffAbandonedReaderFails(t *testing.T) {
	var kept *Message[int]
	runHandoff([]io.Reader{strings.NewReader("one\r\n"), strings.NewReader("two\r\n")},
		func(m *Message[int]) error {
			if kept == nil {
				kept = m
			}
			return nil
		})
	if _, err := kept.Read(make([]byte, 1)); !errors.Is(err, ErrAbandoned) {
		t.Fatalf("read after the callback: %v, want ErrAbandoned", err)
	}
}

// When the consumer fails, the producer stops at once instead of reading the rest.
func TestHandoffStopsWhenTheConsumerFails(t *testing.T) {
	bodies := make([]io.Reader, 50)
	for i := range bodies {
		bodies[i] = strings.NewReader(strings.Repeat("y\r\n", 100_000))
	}
	disk := errors.New("disk full")
	calls := 0
	consumed, produced := runHandoff(bodies, func(m *Message[int]) error {
		if calls++; calls == 3 {
			m.Read(make([]byte, 100))
			return disk
		}
		_, err := io.Copy(io.Discard, m)
		return err
	})
	if !errors.Is(consumed, disk) || !errors.Is(produced, ErrStopped) || calls != 3 {
		t.Fatalf("consumer error %v, producer %v after %d messages", consumed, produced, calls)
	}
	left := 0
	for _, b := range bodies[3:] {
		if b.(*strings.Reader).Len() > 0 {
			left++
		}
	}
	if left < len(bodies)-5 {
		t.Errorf("the producer read on: only %d of %d later messages untouched", left, len(bodies)-3)
	}
}

// A body that breaks off reaches the consumer as that read error, after its bytes.
func TestHandoffPassesReadErrors(t *testing.T) {
	cut := io.MultiReader(strings.NewReader("partial\r\nmess"), iotest.ErrReader(io.ErrUnexpectedEOF))
	var got []byte
	var readErr error
	_, err := runHandoff([]io.Reader{cut}, func(m *Message[int]) error {
		got, readErr = io.ReadAll(m)
		return nil
	})
	if err != nil || !errors.Is(readErr, io.ErrUnexpectedEOF) || string(got) != "partial\r\nmess" {
		t.Fatalf("got %q, read error %v, error %v", got, readErr, err)
	}
}
