# sioloop — every target here is what the README and CI call.
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 20s
NODE_DEPS := interop/node_modules/.installed
CHROMIUM  := /usr/bin/chromium

BENCH_OUT ?= results/compare

.PHONY: test lint vet fmtcheck deps npm-deps chromium redis bench microbench fuzz run conformance conformance-stress soak clean

## test: everything CI runs — lint, unit + interop tests under -race, then every fuzz target for
## TEST_FUZZTIME (a crasher fails the run and is kept under the package's testdata/fuzz/).
TEST_FUZZTIME ?= 10s
test: lint deps
	$(GO) test -race -count=1 -timeout 12m $(PKGS)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME)

## deps: everything the tests need: npm-deps, Debian's Chromium for the browser tests of examples/chat and examples/admin,
## and a Redis server on 127.0.0.1:6379 for adapter/redis.
deps: npm-deps chromium redis

## npm-deps: only the pinned npm packages of interop/ (official clients, Node reference peers,
## playwright-core, the Admin UI's build); enough for examples/chat and examples/admin, which serve
## the browser client and the Admin UI from them.
npm-deps: $(NODE_DEPS)
$(NODE_DEPS): interop/package.json interop/package-lock.json
	cd interop && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## chromium: apt-get install it when $(CHROMIUM) is missing (as root). If that fails, the browser
## test fails and says why; SIOLOOP_NO_BROWSER=1 skips both.
chromium:
	@if [ "$$SIOLOOP_NO_BROWSER" = 1 ] || [ -x $(CHROMIUM) ]; then :; else \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium || \
	  echo "make deps: could not install chromium: TestBrowserChat (examples/chat) and TestAdminUI (examples/admin) will fail; SIOLOOP_NO_BROWSER=1 skips them" >&2; \
	fi

## redis: start redis-server on 127.0.0.1:6379 (in memory, nothing on disk) unless one answers there.
redis:
	@if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then :; else \
	  command -v redis-server >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server; }; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.2; done; \
	fi

lint: vet fmtcheck
## vet: also for macOS, so the packages that promise to run off Linux (eio, sio, client, ...) keep building there.
vet:
	$(GO) vet $(PKGS)
	GOOS=darwin $(GO) vet $(PKGS)
fmtcheck:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: the headline comparison (bench/compare): sioloop against Node.js socket.io, zishang520 and the
## gnet floor, every workload of bench/compare, server pinned on CPU 0 and siobench on CPU 1, fresh server per
## run, order alternated, 3 rounds, ~12 min. FULL=1 (~1 h): the full message counts, 10 s windows, 5 rounds.
## Tables in $(BENCH_OUT)/results.md, every run in results.json and raw/, SVG charts in charts/.
bench: $(NODE_DEPS)
	$(GO) run ./bench/compare -out $(BENCH_OUT) $(if $(FULL),-full)

## microbench: Go micro-benchmarks with allocation counts.
microbench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## fuzz: run every Fuzz target for FUZZTIME each. A run that fails without a crasher (go's fuzzing
## engine reports "context deadline exceeded" when a busy machine starves its workers) is run once more;
## a crasher fails at once and stays in the package's testdata/fuzz/.
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; log=$$(mktemp); \
	    if ! $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >$$log 2>&1; then \
	      cat $$log; \
	      if grep -q 'Failing input written to' $$log || ! grep -q 'context deadline exceeded' $$log; then rm -f $$log; exit 1; fi; \
	      echo "== $$pkg $$f: the fuzzing engine timed out (no crasher): once more"; \
	      $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || { rm -f $$log; exit 1; }; \
	    else tail -1 $$log; fi; rm -f $$log; \
	  done; \
	done

## soak: the bundled server under ~15,000 sockets of mixed load (idle, churning, acked traffic, clients
## that never read, trickling and stalling peers) for SOAK_TIME (default 10m): RSS, threads and CPU over
## time, acks sent vs answered (must be 0 lost), ack p99 per minute. A benchmark: prints a Markdown report.
SOAK_TIME ?= 10m
soak:
	$(GO) run ./bench/soak -duration $(SOAK_TIME)

## run: the main job (bundled server + siobench against it).
run:
	$(GO) run ./cmd/siobench echo

## conformance: the app of the public engine.io-protocol test suite on 127.0.0.1:3000.
conformance:
	$(GO) run ./examples/conformance -addr 127.0.0.1:3000

## conformance-stress: the timing- and order-sensitive cases of the public engine.io-protocol suite
## (interop/conformance_strict_test.go, exact sleeps, no tolerance) STRESS times each (default 20),
## against the Node reference, ours on gnet (2 loops) and ours on net/http; prints the failures per case.
STRESS ?= 20
conformance-stress: $(NODE_DEPS)
	@log=$$(mktemp); SIOLOOP_STRESS=$(STRESS) $(GO) test -count=1 -timeout 30m -run '^TestConformanceStrict$$' -v ./interop/ >$$log 2>&1; st=$$?; \
	grep -E 'repetitions per case|[0-9]+/[0-9]+ failed|^(ok|FAIL)' $$log; rm -f $$log; exit $$st

clean:
	rm -rf interop/node_modules bin
