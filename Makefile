# fetchsecure — see README.md. `make demo` and `make test` are all a newcomer needs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/fetchsecure
PREFIX  ?= /usr/local

.PHONY: all build demo test unit lint fmt bench bench-deps bench-profile fuzz install clean

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/fetchsecure

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
