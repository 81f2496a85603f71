// Package fetchmailrc imports a fetchmail run-control file (~/.fetchmailrc) and writes the
// equivalent fetchsecure TOML configuration (the schema of internal/config).
//
//	res, err := fetchmailrc.Import(path, src, fetchmailrc.Options{LocalUser: u.Username, HomeDir: home})
//	// res.TOML holds passwords: write it with mode 0600. Show every res.Warnings[i].String().
//
// The reader is faithful to fetchmail 6.4's own lexer (rcfile_l.l) and grammar
// (rcfile_y.y), and is tested against fetchmail 6.4.37 itself: the same keywords, noise
// words and punctuation, the same longest-match rule between quoted strings and bare
// words (so `"a@b""` is the bare word `"a@b""`, as fetchmail reads it), the same escapes
// (\233 is decimal), the same "user name" lexer state (after `user`, `keep` is a name),
// and `defaults` merged into later entries the way fetchmail's optmerge does. Where
// fetchmail itself would reject the file, the importer says so in a warning and recovers
// with the most likely reading (`keep# comment`, a `password` with no value, a
// `backtick` password), so that one typo does not lose a whole configuration.
//
// Every option ends up either as a TOML key or as a "# fetchmail:" comment next to the
// account that says what it was, why it has no equivalent and what to do; options that
// change behaviour or need the user's attention also produce a [Warning]. SSH tunnels
// that fetchmail set up with `preconnect "ssh -L …"` or `plugin "ssh -W %h:%p …"`
// become [tunnel.NAME] tables, so that fetchsecure opens them itself.
package fetchmailrc
