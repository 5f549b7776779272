# ztfbridge — build, test and run the pipeline locally.
#
#   make demo    run the whole pipeline on a local stack and check one night
#   make test    everything CI runs: lint, unit + integration tests (-race), terraform checks
#
# Every tool is built from the Go module proxy into the Go cache on first use.

GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
# The BigQuery emulator is a separate module (tools/bqemulator) so its large
# dependency tree stays out of ztfbridge's. Built once, reused from the cache.
# The name is internal/dev/stack's bigQueryEmulatorBuild, so that "go test" run
# without make finds the same binary.
BQ_EMULATOR := $(shell $(GO) env GOCACHE)/ztfbridge/bqemulator-v0.8.1-memdb
export ZTFBRIDGE_BQ_EMULATOR := $(BQ_EMULATOR)

TEST_FLAGS ?= -race -timeout 30m
DEMO_FLAGS ?=

.PHONY: all build demo up test lint unit terraform-check function-zip bench fuzz tools clean

all: build

build: build/ztfbridge build/ztfbridge-dev

build/ztfbridge: $(shell find . -name '*.go' -not -path './tools/*') go.mod go.sum
	CGO_ENABLED=0 $(GO) build -trimpath -o $@ ./cmd/ztfbridge

# The development binary (up, demo, generate, simulate, bench), never
# deployed: it links the local stack's servers, which build/ztfbridge must not.
build/ztfbridge-dev: $(shell find . -name '*.go' -not -path './tools/*') go.mod go.sum
	CGO_ENABLED=0 $(GO) build -trimpath -o $@ ./cmd/ztfbridge-dev

## demo: one night of alerts plus its 10am replay through the whole local pipeline.
demo: build $(BQ_EMULATOR)
	./build/ztfbridge-dev demo $(DEMO_FLAGS)

## up: keep the local stack running and print its environment (Ctrl-C stops it).
up: build $(BQ_EMULATOR)
	./build/ztfbridge-dev up

## test: what CI runs.
test: lint unit terraform-check

lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

unit: $(BQ_EMULATOR) function-zip
	$(GO) test $(TEST_FLAGS) ./...

terraform-check: function-zip build
	./scripts/terraform-check.sh

function-zip: build/function-source.zip

build/function-source.zip: $(shell find functions internal -name '*.go') go.mod go.sum scripts/build-function-zip.sh
	./scripts/build-function-zip.sh $@

## bench: own CPU per alert of each component next to its raw client, and a night's cost.
BENCH_FLAGS ?=
bench: build $(BQ_EMULATOR)
	./build/ztfbridge-dev bench --ztfbridge build/ztfbridge $(BENCH_FLAGS)
	$(GO) test -run '^$$' -bench . -benchtime 2000x ./internal/core/alert/

# Minimizing a new input of 80 KB byte by byte stalls the fuzzer for minutes
# (0 execs/s); -fuzzminimizetime bounds it.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 5m -fuzzminimizetime 1s ./internal/core/alert/

tools: $(STATICCHECK) $(BQ_EMULATOR)

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BQ_EMULATOR): tools/bqemulator/go.mod tools/bqemulator/go.sum tools/bqemulator/main.go
	@echo "building the BigQuery emulator (goccy/bigquery-emulator v0.8.1; first time takes ~5 min)..."
	@mkdir -p $(dir $@)
	cd tools/bqemulator && CGO_ENABLED=0 $(GO) build -o $@ .

clean:
	rm -rf build
