# fetchsecure — see README.md. `make demo` and `make test` are all a newcomer needs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/fetchsecure
PREFIX  ?= /usr/local

.PHONY: all build demo test unit lint fmt bench bench-deps fuzz install clean

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

# Every fuzz target for FUZZTIME each (make fuzz FUZZTIME=10m for a long run). make test
# replays the committed seed corpora instead; see .ci/fuzz.
FUZZTIME ?= 1m
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz

clean:
	rm -rf bin demo
