package fetchmailrc

// The vocabulary of fetchmail 6.4's lexer (rcfile_l.l), checked against fetchmail 6.4.37.
// Keywords are case-sensitive; only protocol names also exist in upper case.

// keywords maps every spelling the lexer accepts to its canonical name.
var keywords = map[string]string{
	"set": "set", "logfile": "logfile", "idfile": "idfile", "pidfile": "pidfile",
	"daemon": "daemon", "syslog": "syslog", "invisible": "invisible", "showdots": "showdots",
	"postmaster": "postmaster", "bouncemail": "bouncemail", "spambounce": "spambounce",
	"softbounce": "softbounce", "warnings": "warnings", "tracepolls": "tracepolls",

	"defaults": "defaults", "server": "poll", "poll": "poll", "skip": "skip", "via": "via",
	"aka": "aka", "local": "localdomains", "localdomains": "localdomains",
	"proto": "proto", "protocol": "proto", "service": "service", "port": "port",
	"interval": "interval", "preauth": "auth", "preauthenticate": "auth", "auth": "auth",
	"authenticate": "auth", "timeout": "timeout", "envelope": "envelope",
	"qvirtual": "qvirtual", "principal": "principal", "esmtpname": "esmtpname",
	"esmtppassword": "esmtppassword", "bad-header": "bad-header", "accept": "accept",
	"reject": "reject",

	"user": "user", "username": "user", "pass": "password", "password": "password",
	"folder": "folder", "folders": "folder", "smtp": "smtphost", "smtphost": "smtphost",
	"fetchdomains": "fetchdomains", "smtpaddress": "smtpaddress", "smtpname": "smtpname",
	"antispam": "antispam", "mda": "mda", "bsmtp": "bsmtp", "lmtp": "lmtp",
	"pre": "preconnect", "preconnect": "preconnect", "post": "postconnect",
	"postconnect": "postconnect", "interface": "interface", "monitor": "monitor",
	"plugin": "plugin", "plugout": "plugout", "batchlimit": "batchlimit",
	"fetchlimit": "fetchlimit", "fetchsizelimit": "fetchsizelimit", "fastuidl": "fastuidl",
	"expunge": "expunge", "properties": "properties",

	"is": "is", "here": "here", "there": "there", "to": "to", "no": "no",

	"keep": "keep", "flush": "flush", "limitflush": "limitflush", "fetchall": "fetchall",
	"rewrite": "rewrite", "forcecr": "forcecr", "stripcr": "stripcr", "pass8": "pass8bits",
	"pass8bits": "pass8bits", "dropstatus": "dropstatus", "dropdelivered": "dropdelivered",
	"mimedec": "mimedecode", "mimedecode": "mimedecode", "idle": "idle", "dns": "dns",
	"uidl": "uidl", "ssl": "ssl", "sslkey": "sslkey", "sslcert": "sslcert",
	"sslproto": "sslproto", "sslcertck": "sslcertck", "sslcertfile": "sslcertfile",
	"sslcertpath": "sslcertpath", "sslcommonname": "sslcommonname",
	"sslfingerprint": "sslfingerprint", "checkalias": "checkalias", "limit": "limit",
}

// noiseWords are dropped by the lexer wherever they appear (outside the user-name state).
var noiseWords = map[string]bool{"with": true, "and": true, "has": true, "wants": true, "options": true}

// protocols are the PROTO tokens; the lexer knows each in lower and upper case only.
var protocols = []string{"auto", "pop2", "sdps", "pop3", "imap", "apop", "rpop", "etrn", "odmr", "kpop"}

// authTypes maps the AUTHTYPE spellings to a canonical name. "password" is an
// authentication type only right after `auth`.
var authTypes = map[string]string{
	"any": "any", "gssapi": "gssapi", "kerberos_v4": "kerberos_v4", "kerberos4": "kerberos_v4",
	"kerberos_v5": "kerberos_v5", "kerberos5": "kerberos_v5", "kerberos": "kerberos_v4",
	"ssh": "ssh", "external": "external", "otp": "otp", "opie": "otp", "cram": "cram-md5",
	"cram-md5": "cram-md5", "msn": "msn", "ntlm": "ntlm",
}

// noCompounds are the one-word negations the lexer splits into `no` + keyword
// (rcfile_l.l: yyless(2)). Others, such as `nosyslog` or `nossl`, are plain words.
var noCompounds = map[string]bool{
	"nobouncemail": true, "nouidl": true, "nocheckalias": true, "nodns": true,
	"noenvelope": true, "nokeep": true, "noflush": true, "nolimitflush": true,
	"nofetchall": true, "norewrite": true, "noforcecr": true, "nostripcr": true,
	"nopass8": true, "nopass8bits": true, "nodropstatus": true, "nodropdelivered": true,
	"nomimedec": true, "nomimedecode": true, "nospambounce": true, "noidle": true,
}

// argKind says what follows an option keyword in the grammar.
type argKind int

const (
	argNone      argKind = iota
	argString            // STRING
	argNumber            // NUMBER
	argService           // STRING or NUMBER
	argStrings           // STRING...
	argNumbers           // NUMBER...
	argProto             // PROTO
	argAuth              // AUTHTYPE
	argEnvelope          // [NUMBER] STRING
	argBadHeader         // accept | reject
)

// serverOptions are the grammar's serv_option keywords.
var serverOptions = map[string]argKind{
	"via": argString, "aka": argStrings, "localdomains": argStrings, "proto": argProto,
	"principal": argString, "esmtpname": argString, "esmtppassword": argString,
	"uidl": argNone, "checkalias": argNone, "service": argService, "port": argNumber,
	"interval": argNumber, "auth": argAuth, "timeout": argNumber, "envelope": argEnvelope,
	"qvirtual": argString, "interface": argString, "monitor": argString,
	"plugin": argString, "plugout": argString, "dns": argNone, "tracepolls": argNone,
	"bad-header": argBadHeader,
}

// userOptions are the grammar's user_option keywords (is/to are parsed apart).
var userOptions = map[string]argKind{
	"password": argString, "folder": argStrings, "smtphost": argStrings,
	"fetchdomains": argStrings, "smtpaddress": argString, "smtpname": argString,
	"antispam": argNumbers, "mda": argString, "bsmtp": argString, "lmtp": argNone,
	"preconnect": argString, "postconnect": argString,
	"keep": argNone, "flush": argNone, "limitflush": argNone, "fetchall": argNone,
	"rewrite": argNone, "forcecr": argNone, "stripcr": argNone, "pass8bits": argNone,
	"dropstatus": argNone, "dropdelivered": argNone, "mimedecode": argNone, "idle": argNone,
	"ssl": argNone, "sslkey": argString, "sslcert": argString, "sslproto": argString,
	"sslcertck": argNone, "sslcertfile": argString, "sslcertpath": argString,
	"sslcommonname": argString, "sslfingerprint": argString,
	"limit": argNumber, "warnings": argNumber, "fetchlimit": argNumber,
	"fetchsizelimit": argNumber, "fastuidl": argNumber, "batchlimit": argNumber,
	"expunge": argNumber, "properties": argString,
}

// negatable lists the keywords that may follow `no`, per context.
var (
	serverNegatable = setOf("uidl", "checkalias", "dns", "envelope", "tracepolls")
	userNegatable   = setOf("keep", "flush", "limitflush", "fetchall", "rewrite", "forcecr",
		"stripcr", "pass8bits", "dropstatus", "dropdelivered", "mimedecode", "idle", "ssl",
		"sslcertck")
	globalNegatable = setOf("bouncemail", "spambounce", "softbounce", "syslog", "invisible", "showdots")
	globalValued    = map[string]argKind{"logfile": argString, "idfile": argString,
		"pidfile": argString, "postmaster": argString, "properties": argString, "daemon": argNumber}
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
