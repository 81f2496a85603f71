# fetchsecure — see README.md. `make demo` and `make test` are all a newcomer needs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/fetchsecure
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
# systemd looks for user units in /usr/lib/systemd/user and /usr/local/lib/systemd/user;
# with PREFIX=$HOME/.local set UNITDIR=$HOME/.local/share/systemd/user.
UNITDIR ?= $(PREFIX)/lib/systemd/user
UNITS   := fetchsecure.service fetchsecure-once.service fetchsecure.timer

.PHONY: all build demo test unit lint fmt bench bench-deps bench-profile fuzz install uninstall man clean interop interop-deps

all: build

# A static binary (CGO_ENABLED=0, as mox and restic ship): no libc to match on the target
# machine, and 1.5 MB less resident memory. The tests build the same way (testlib.Binary).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/fetchsecure

# The real fetch path against an embedded IMAP server over TLS (and SSH), into ./demo.
demo: build
	$(GO) run ./cmd/fetchsecure-demo -bin $(BIN) -dir demo

# Every test: unit tests, in-process servers, and the real Dovecot/sshd integration
# tests (skipped with a reason when a server is missing, unless
# FETCHSECURE_REQUIRE_SERVERS=1 as in CI). Also gofmt, vet and staticcheck.
test: lint
	$(GO) test -count=1 -timeout 15m ./...

unit:
	$(GO) test -count=1 -short ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# Every fuzz target for FUZZTIME each (make fuzz FUZZTIME=10m for a long run). make test
# replays the committed seed corpora instead; see .ci/fuzz.
FUZZTIME ?= 1m
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz

# The binary, the manual pages and the systemd user units (their ExecStart= pointing
# at BINDIR). DESTDIR stages the tree for a package.
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/fetchsecure
	install -m 644 docs/man/fetchsecure.1 $(DESTDIR)$(MANDIR)/man1/fetchsecure.1
	install -m 644 docs/man/fetchsecure.toml.5 $(DESTDIR)$(MANDIR)/man5/fetchsecure.toml.5
	for u in $(UNITS); do \
		sed 's|/usr/local/bin/fetchsecure|$(BINDIR)/fetchsecure|g' contrib/systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/fetchsecure $(DESTDIR)$(MANDIR)/man1/fetchsecure.1 \
		$(DESTDIR)$(MANDIR)/man5/fetchsecure.toml.5 $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))

# Regenerate docs/man from --help and config.example.toml (a test checks they are current).
man:
	$(GO) generate ./cmd/fetchsecure

# The interoperability matrix (docs/servers.md): Cyrus, Courier, popa3d behind stunnel,
# Exim, Postfix and Cyrus and Dovecot LMTP, unpacked from Debian packages into
# /var/tmp/fetchsecure-interop (FETCHSECURE_INTEROP_DIR) and each run in a private
# mount namespace; no service of the host is touched. Needs root; as another user the
# tests are skipped and say so. Prints the compatibility table and regenerates the
# generated part of docs/servers.md; make test runs a named subset (tests/interop_gate_test.go).
INTEROP_REPORT := bin/interop.jsonl

interop-deps:
	internal/testlib/interop/install.sh

interop: interop-deps
	@mkdir -p bin && rm -f $(INTEROP_REPORT)
	@req=0; [ "$$(id -u)" -ne 0 ] || req=1; \
	FETCHSECURE_INTEROP=all FETCHSECURE_REQUIRE_SERVERS=$$req FETCHSECURE_INTEROP_REPORT=$(CURDIR)/$(INTEROP_REPORT) \
		$(GO) test -count=1 -timeout 20m -run '^TestInterop' ./tests/; status=$$?; \
	if [ -s $(INTEROP_REPORT) ]; then \
		$(GO) run ./internal/testlib/interop/table -report $(INTEROP_REPORT) -doc docs/servers.md -doc README.md || status=1; \
	else echo "interop: no results (see above); docs/servers.md left as it is"; fi; \
	exit $$status
# The benchmark of issue 8 (tests/bench): a private Dovecot and sshd, N messages
# (BENCH_N, default 10000), fetchsecure against the installed anchors and a Go floor,
# interleaved, median of BENCH_RUNS (3). Prints the table and writes
# docs/performance.md. Takes a while: the anchors are slow.
bench:
	$(GO) run ./tests/bench -out docs/performance.md

# The anchors the benchmark compares with, from Debian packages (needs root).
BENCH_DEPS := isync mpop fetchmail getmail6 procmail
bench-deps:
	@if [ "$$(id -u)" -ne 0 ]; then echo "bench-deps: run as root, or: sudo apt-get install $(BENCH_DEPS)"; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(BENCH_DEPS) || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(BENCH_DEPS); }

# Only the CPU profiles and the execution trace of fetchsecure, summarised on stdout;
# the raw files stay in bench-profile/ (go tool pprof bench-profile/imap-tls.pprof).
bench-profile:
	$(GO) run ./tests/bench -tools none -extras=false -profiles bench-profile

clean:
	rm -rf bin demo bench-profile
