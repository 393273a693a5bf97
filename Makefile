# sioloop — every target here is what the README and CI call.
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 20s
NODE_DEPS := interop/node_modules/.installed

.PHONY: test lint vet fmtcheck deps bench fuzz run conformance clean

## test: everything CI runs — lint, then unit + interop tests under -race.
test: lint deps
	$(GO) test -race -count=1 -timeout 12m $(PKGS)

## deps: install the pinned npm packages the interop tests use (official clients, Node reference peers).
deps: $(NODE_DEPS)
$(NODE_DEPS): interop/package.json interop/package-lock.json
	cd interop && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: vet fmtcheck
vet:
	$(GO) vet $(PKGS)
fmtcheck:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: Go micro-benchmarks with allocation counts.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## fuzz: run every Fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## run: the main job (bundled server + siobench against it).
run:
	$(GO) run ./cmd/siobench echo

## conformance: the app of the public engine.io-protocol test suite on 127.0.0.1:3000.
conformance:
	$(GO) run ./examples/conformance -addr 127.0.0.1:3000

clean:
	rm -rf interop/node_modules bin
