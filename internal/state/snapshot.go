package state

import "slices"

// folderSnapshot is the compacted form of a Folder.
type folderSnapshot struct {
	Validity     uint32   `json:"validity,omitempty"`
	Since        uint32   `json:"since,omitempty"`
	Retry        []uint32 `json:"retry,omitempty"`
	Above        []uint32 `json:"above,omitempty"`
	Handled      []string `json:"handled,omitempty"`
	PendingUIDs  []uint32 `json:"pending_uids,omitempty"`
	PendingUIDLs []string `json:"pending_uidls,omitempty"`
	Intents      []Intent `json:"intents,omitempty"`
}

func (f *Folder) snapshot() *folderSnapshot {
	fs := &folderSnapshot{Validity: f.Validity, Since: f.since, Retry: f.Retry(), Intents: f.Intents()}
	for uid := range f.above {
		fs.Above = append(fs.Above, uid)
	}
	slices.Sort(fs.Above)
	for uidl := range f.handled {
		fs.Handled = append(fs.Handled, uidl)
	}
	slices.Sort(fs.Handled)
	for _, k := range f.PendingDeletes() {
		if k.UIDL != "" {
			fs.PendingUIDLs = append(fs.PendingUIDLs, k.UIDL)
		} else {
			fs.PendingUIDs = append(fs.PendingUIDs, k.UID)
		}
	}
	return fs
}

func (fs *folderSnapshot) folder() *Folder {
	f := newFolder()
	f.Validity, f.since = fs.Validity, fs.Since
	for _, u := range fs.Retry {
		f.retry[u] = struct{}{}
	}
	for _, u := range fs.Above {
		f.above[u] = struct{}{}
	}
	for _, s := range fs.Handled {
		f.handled[s] = struct{}{}
	}
	for _, u := range fs.PendingUIDs {
		f.pending[Key{UID: u}] = struct{}{}
	}
	for _, s := range fs.PendingUIDLs {
		f.pending[Key{UIDL: s}] = struct{}{}
	}
	for _, in := range fs.Intents {
		f.intents[in.Key] = in
	}
	return f
}
