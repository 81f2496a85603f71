// Package fetchmailrc imports a fetchmail run-control file (~/.fetchmailrc) and writes the
// equivalent fetchsecure TOML configuration.
//
// The reader is faithful to fetchmail 6.4's own lexer (rcfile_l.l) and grammar
// (rcfile_y.y): the same keywords, noise words and punctuation, the same longest-match
// rule between quoted strings and bare words (so `"a@b""` is the bare word `"a@b""`, as
// fetchmail reads it), the same escapes, the same "user name" lexer state, and `defaults`
// merged into later entries the way fetchmail's optmerge does. Where fetchmail itself
// would reject the file, the importer says so in a warning and recovers with the most
// likely reading, so that one typo does not lose a whole configuration.
//
// Every option ends up either as a TOML key or as a "# fetchmail:" comment next to the
// account that says what it was, why it has no equivalent and what to do; options that
// change behaviour or need the user's attention also produce a [Warning].
package fetchmailrc
