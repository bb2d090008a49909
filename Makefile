# helpr — run `make help` for the list of targets.
GO        ?= go
DATA_DIR  ?= ./data
ADDR      ?= 127.0.0.1:8080
BENCHTIME ?= 1s
RUN_FLAGS ?=
FUZZTIME  ?= 30s
CHAOS_RUNS ?= 3
PKGS      := ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# run builds bin/helpr and execs it through scripts/foreground.sh, which lets a
# terminal's Ctrl-C reach helpr alone, so make exits 0 after the graceful shutdown.
.PHONY: run
run: ## Start helpr on the embedded store (data in ./data, http://127.0.0.1:8080); extra flags in RUN_FLAGS; Ctrl-C stops it
	$(GO) build -o bin/helpr ./cmd/helpr
	exec scripts/foreground.sh bin/helpr serve --addr $(ADDR) --data-dir $(DATA_DIR) --log-format console $(RUN_FLAGS)

.PHONY: build
build: ## Build the helpr and helpr-bench binaries into ./bin
	$(GO) build -o bin/helpr ./cmd/helpr
	$(GO) build -o bin/helpr-bench ./cmd/helpr-bench

.PHONY: testdeps
testdeps: ## Install what tests use (redis-server, chromium, the widget's npm packages), idempotently
	@bash scripts/test-deps.sh
	@bash scripts/browser-deps.sh

.PHONY: test
test: testdeps ## Run every test with the race detector (what CI runs); starts its own Redis and MongoDB-wire servers
	$(GO) vet $(PKGS)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	cd internal/testsvc/ferretdb && $(GO) vet ./...
	cd widget && node build.mjs --check
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

.PHONY: chaos
chaos: ## Run every fault case F1–F8 (three nodes, Redis, MongoDB-wire), three runs
	@bash scripts/test-deps.sh
	@echo "loadavg before: $$(cat /proc/loadavg)"
	@failed=0; for run in $$(seq $(CHAOS_RUNS)); do \
	  echo "== run $$run of $(CHAOS_RUNS)"; \
	  out=$$(HELPR_CHAOS=all $(GO) test -count=1 -timeout 20m -v ./internal/chaos/ 2>&1); rc=$$?; \
	  echo "$$out" | grep -E '^(F[0-9][a-z]? |--- FAIL|    [a-z0-9_]+_test.go:[0-9]+: |ok|FAIL)' | grep -v 'logs (warnings'; \
	  if [ $$rc -ne 0 ]; then failed=1; fi; \
	done; echo "loadavg after: $$(cat /proc/loadavg)"; exit $$failed

.PHONY: widget
widget: ## Rebuild the widget and console into widget/dist (Node and npm; fails over the size budgets)
	cd widget && npm ci --no-audit --no-fund && node build.mjs

.PHONY: widget-check
widget-check: widget ## Fail if the committed widget/dist differs from a fresh build of widget/src
	@git diff --exit-code --stat -- widget/dist || { echo "widget/dist is stale: run make widget and commit it"; exit 1; }

.PHONY: lint
lint: ## go vet, staticcheck and govulncheck (the latter two are fetched through the module proxy)
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 $(PKGS)
	$(GO) run golang.org/x/vuln/cmd/govulncheck@v1.1.4 $(PKGS)

.PHONY: bench
bench: ## Run the hot-path benchmarks (figures go in docs/performance.md)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./security/... ./transport/... ./hub/... ./storage/...

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 30s; findings are kept in each package's testdata/fuzz)
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh
