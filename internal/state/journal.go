package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strconv"
)

// Record operations.
const (
	opValidity = "validity" // the folder's UIDVALIDITY; a change resets the folder
	opIntent   = "intent"   // deliveries about to be published, with their receipts
	opSettle   = "settle"   // outcome of a batch: done, retry, new high-water mark
	opDeleted  = "deleted"  // deletions confirmed by the server
	opForget   = "forget"   // keys the server no longer lists
	opIDs      = "ids"      // Message-ID hashes of delivered messages (account-wide)
)

// record is one journal line. Keys are split by kind to keep lines short: IMAP
// batches are lists of numbers.
type record struct {
	Op         string   `json:"op"`
	Folder     string   `json:"f,omitempty"`
	Validity   uint32   `json:"v,omitempty"`
	UIDs       []uint32 `json:"u,omitempty"`
	UIDLs      []string `json:"k,omitempty"`
	Receipts   []string `json:"r,omitempty"`
	RetryUIDs  []uint32 `json:"ru,omitempty"`
	RetryUIDLs []string `json:"rk,omitempty"`
	Since      uint32   `json:"s,omitempty"`
	Delete     bool     `json:"d,omitempty"`
	IDs        []string `json:"m,omitempty"` // settle: delivered; intent: one per key, or none
}

func (r *record) keys() []Key {
	out := make([]Key, 0, len(r.UIDs)+len(r.UIDLs))
	for _, u := range r.UIDs {
		out = append(out, Key{UID: u})
	}
	for _, s := range r.UIDLs {
		out = append(out, Key{UIDL: s})
	}
	return out
}

func (r *record) setKeys(keys []Key) {
	for _, k := range keys {
		if k.UIDL != "" {
			r.UIDLs = append(r.UIDLs, k.UIDL)
		} else {
			r.UIDs = append(r.UIDs, k.UID)
		}
	}
}

// A journal line is "crc32c-hex json\n". The CRC catches a line torn by a crash.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func encodeRecord(r *record) ([]byte, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	line := make([]byte, 0, len(body)+10)
	line = fmt.Appendf(line, "%08x ", crc32.Checksum(body, castagnoli))
	line = append(line, body...)
	return append(line, '\n'), nil
}

// errTorn marks the end of the valid part of a journal.
var errTorn = errors.New("torn record")

func decodeRecord(line []byte) (*record, error) {
	if len(line) < 10 || line[8] != ' ' {
		return nil, errTorn
	}
	want, err := strconv.ParseUint(string(line[:8]), 16, 32)
	if err != nil || uint32(want) != crc32.Checksum(line[9:], castagnoli) {
		return nil, errTorn
	}
	var r record
	if err := json.Unmarshal(line[9:], &r); err != nil {
		return nil, errTorn
	}
	if n := len(r.UIDs) + len(r.UIDLs); r.Op == opIntent && (len(r.Receipts) != n || len(r.IDs) != 0 && len(r.IDs) != n) {
		return nil, fmt.Errorf("intent record with %d receipts and %d Message-IDs for %d keys",
			len(r.Receipts), len(r.IDs), n)
	}
	return &r, nil
}

// replay reads the journal and calls fn for each valid record. It returns the length
// of the valid prefix. Only the last line may be torn (a crash while appending it); a
// bad line followed by good ones means the file was damaged, which is an error.
func replay(f *os.File, fn func(*record)) (int64, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	var good int64
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return good, nil // a final line without '\n' is torn: cut it off
		}
		if err != nil {
			return good, err
		}
		r, derr := decodeRecord(bytes.TrimSuffix(line, []byte{'\n'}))
		if derr != nil {
			if rest, _ := br.Peek(1); len(rest) == 0 && errors.Is(derr, errTorn) {
				return good, nil
			}
			return good, fmt.Errorf("journal line %d: %w", lineNo, derr)
		}
		fn(r)
		good += int64(len(line))
	}
}
