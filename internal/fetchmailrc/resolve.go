package fetchmailrc

import "sort"

// record is one of fetchmail's query records: an entry with one of its users, the
// `defaults` entry merged in the way fetchmail's optmerge(…, force=FALSE) does: a value
// the record sets wins, a list the record sets replaces the defaults' list, and
// anything else comes from defaults.
type record struct {
	e    *entry
	u    *userBlock
	def  *entry     // the defaults entry in effect, or nil
	defU *userBlock // its user block, or nil
}

// records builds the records in file order. A defaults entry applies to the entries
// after it (fetchmail accepts it only as the first entry).
func records(rc *rcFile, d *diags) []*record {
	var out []*record
	var def *entry
	used := true
	for i, e := range rc.entries {
		if e.verb == "defaults" {
			checkDefaults(rc, i, e, def != nil && !used, d)
			warnUnused(def, used, d)
			def, used = e, false
			continue
		}
		users := e.users
		if len(users) == 0 {
			users = []*userBlock{{line: e.line, implicit: true}}
		}
		for _, u := range users {
			r := &record{e: e, u: u, def: def}
			if def != nil && len(def.users) > 0 {
				r.defU = def.users[0]
			}
			out = append(out, r)
		}
		used = true
	}
	warnUnused(def, used, d)
	return out
}

// checkDefaults warns about what fetchmail does with a defaults entry that we do not.
func checkDefaults(rc *rcFile, i int, e *entry, second bool, d *diags) {
	switch {
	case second:
		d.add(e.line, "a second defaults entry: fetchmail 6.4 takes it for a server named "+
			"\"defaults\"; imported as defaults for the entries after it")
	case i > 0:
		if rc.rejected == 0 {
			rc.rejected = e.line
		}
		d.add(e.line, "fetchmail 6.4 accepts `defaults` only as the first entry and rejects "+
			"this file; imported as defaults for the entries after it")
	}
	if len(e.users) > 1 {
		d.add(e.users[1].line, "a defaults entry has one user; fetchmail 6.4 makes a poll "+
			"entry named \"defaults\" of the others; they are not imported")
	}
	for _, o := range live(e.server) {
		if notInherited[o.kw] {
			d.add(o.line, "%s in a defaults entry: fetchmail does not pass it on to the entries; "+
				"not imported", o.kw)
		}
	}
}

func warnUnused(def *entry, used bool, d *diags) {
	if def != nil && !used {
		d.add(def.line, "this defaults entry is followed by no poll entry; its options are not imported")
	}
}

// own returns the live occurrences of kw that the record itself sets.
func (r *record) own(kw string) []*opt {
	return find(kw, r.u.opts, r.e.server)
}

// notInherited are the options optmerge does not copy from defaults.
var notInherited = setOf("aka", "esmtpname", "esmtppassword")

// unsetValue are values that fetchmail stores as 0, which optmerge takes for "not set":
// `timeout 0` or `auth any` in an entry still takes the defaults entry's value.
var unsetValue = map[string]string{"timeout": "0", "interval": "0", "auth": "any", "bad-header": "reject"}

// all returns the occurrences of kw that apply: the record's own, else the defaults'.
func (r *record) all(kw string) []*opt {
	if o := r.own(kw); isSet(kw, o) {
		return o
	}
	if r.def == nil || notInherited[kw] {
		return nil
	}
	var du []*opt
	if r.defU != nil {
		du = r.defU.opts
	}
	if o := find(kw, du, r.def.server); isSet(kw, o) {
		return o
	}
	return nil
}

func isSet(kw string, opts []*opt) bool {
	if len(opts) == 0 {
		return false
	}
	v, ok := unsetValue[kw]
	return !ok || opts[len(opts)-1].args[0] != v
}

// get returns the option in effect (the last one written), or nil.
func (r *record) get(kw string) *opt {
	all := r.all(kw)
	if len(all) == 0 {
		return nil
	}
	return all[len(all)-1]
}

// list returns the values of a list option, concatenated.
func (r *record) list(kw string) (vals []string, line int) {
	for _, o := range r.all(kw) {
		vals = append(vals, o.args...)
		if line == 0 {
			line = o.line
		}
	}
	return vals, line
}

// remote returns the user block that names the server-side user, own or inherited.
func (r *record) remote() *opt {
	if r.u.remote != nil {
		return r.u.remote
	}
	if r.defU != nil {
		return r.defU.remote
	}
	return nil
}

// locals returns the local names (is/to/user … here), own or else inherited as a list;
// the `*` wildcard is inherited on its own (optmerge merges it as a flag).
func (r *record) locals() (names []mapping, wildcard bool) {
	if r.defU == nil {
		return r.u.locals, r.u.wildcard
	}
	names = r.u.locals
	if len(names) == 0 {
		names = r.defU.locals
	}
	return names, r.u.wildcard || r.defU.wildcard
}

// keywords lists every option keyword that applies to the record, in line order.
func (r *record) keywords() []string {
	seen := map[string]bool{}
	var kws []string
	add := func(opts []*opt) {
		for _, o := range live(opts) {
			if !seen[o.kw] && (r.get(o.kw) != nil || len(r.own(o.kw)) > 0) {
				seen[o.kw] = true
				kws = append(kws, o.kw)
			}
		}
	}
	add(r.u.opts)
	add(r.e.server)
	if r.defU != nil {
		add(r.defU.opts)
	}
	if r.def != nil {
		add(r.def.server)
	}
	sort.SliceStable(kws, func(i, j int) bool { return r.shown(kws[i]).line < r.shown(kws[j]).line })
	return kws
}

// shown is the option to write about kw: the one in effect, else the record's own last
// (`timeout 0`, which fetchmail treats as not set).
func (r *record) shown(kw string) *opt {
	if o := r.get(kw); o != nil {
		return o
	}
	if own := r.own(kw); len(own) > 0 {
		return own[len(own)-1]
	}
	return nil
}

func find(kw string, lists ...[]*opt) []*opt {
	var out []*opt
	for _, l := range lists {
		for _, o := range l {
			if o.kw == kw && !o.dead {
				out = append(out, o)
			}
		}
	}
	return out
}
