package fetchmailrc

// What the parser makes of a run-control file: fetchmail's grammar, not yet merged with
// `defaults` and not yet mapped to fetchsecure.

// opt is one option as written in the file.
type opt struct {
	kw   string   // canonical keyword (keywords.go)
	no   bool     // written `no kw` (or the one-word `nokw`)
	args []string // string values, or the digits of numbers, as written
	line int
	off  int    // byte offset of the keyword: the order of options on one line
	cmd  string // a password written as a `backtick command` (fetchmail rejects it)
	dead bool   // withdrawn by error recovery
}

// mapping is one name of an is/to list: a local name, or remote=local with `=`.
type mapping struct {
	remote, local string
	pair          bool // written remote=local
	line          int
}

// userBlock is one user description and its options.
type userBlock struct {
	line     int
	implicit bool // options written without a leading `user` (the grammar's user1opts)
	remote   *opt // kw "user", args[0]: the server-side user name
	locals   []mapping
	wildcard bool // `*` in an is/to list (multidrop pass-through)
	opts     []*opt
}

// entry is a poll, skip or defaults entry.
type entry struct {
	verb   string // "poll", "skip" or "defaults"
	name   string // the poll name ("" for defaults)
	noName bool   // `poll` without a name (fetchmail: syntax error)
	line   int
	server []*opt
	users  []*userBlock
}

// rcFile is the whole file.
type rcFile struct {
	globals  []*opt // `set` statements: kw "daemon", "logfile", "bouncemail" (no) …
	entries  []*entry
	rejected int // line of the first error for which fetchmail 6.4 rejects the file, 0 if none
}

// live returns the options that error recovery did not withdraw.
func live(opts []*opt) []*opt {
	out := opts[:0:0]
	for _, o := range opts {
		if !o.dead {
			out = append(out, o)
		}
	}
	return out
}
