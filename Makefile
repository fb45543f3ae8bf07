# hookbench: a registry, its Distribution-compatible notification pipeline,
# and the harness that tests such pipelines. See README.md.
GO        ?= go
OUT       ?= out
SCENARIO  ?= endpoint-refused-then-up
# Unit tests: every package but the spec suites in tests/<label>, each its
# own test binary so that a JUnit report lists only the specs that ran.
PKGS       = $(shell $(GO) list ./... | grep -v '/tests/\(fast\|process\|e2e\|distribution\|cluster\)$$')
GOFLAGS_TEST ?= -count=1

.PHONY: all build test unit fast process e2e examples cluster run lint bench image conformance mutation clean

all: lint build test

build:
	$(GO) build -o bin/ ./cmd/...

## test: unit tests of every package (race detector on), then the in-process
## scenario specs (tests/fast) and the SIGKILL specs as processes
## (tests/process), each with its JUnit report in $(OUT)/.
test: unit fast process

unit:
	$(GO) test -race $(GOFLAGS_TEST) $(PKGS)

fast:
	@mkdir -p $(OUT)
	HOOKBENCH_OUT=$(abspath $(OUT)) $(GO) test -v $(GOFLAGS_TEST) -timeout 15m ./tests/fast \
	  -ginkgo.junit-report=$(abspath $(OUT))/junit-fast.xml

process:
	@mkdir -p $(OUT)
	HOOKBENCH_OUT=$(abspath $(OUT)) $(GO) test -v $(GOFLAGS_TEST) -timeout 15m ./tests/process \
	  -ginkgo.junit-report=$(abspath $(OUT))/junit-process.xml

## e2e: the Docker scenario specs (tests/e2e); images are built offline.
e2e:
	@mkdir -p $(OUT)
	HOOKBENCH_OUT=$(abspath $(OUT)) TESTCONTAINERS_RYUK_DISABLED=true $(GO) test -v $(GOFLAGS_TEST) -timeout 30m ./tests/e2e \
	  -ginkgo.junit-report=$(abspath $(OUT))/junit-e2e.xml

## examples: examples/ is its own module using the library API from
## outside (replace => ../); in-process, no Docker needed.
examples:
	cd examples && $(GO) vet ./... && $(GO) test $(GOFLAGS_TEST) ./...

## cluster: the cluster scenario specs (tests/cluster): replicas on S3
## behind the balancer, memory/disk/nats queues; images built offline.
cluster:
	@mkdir -p $(OUT)
	HOOKBENCH_OUT=$(abspath $(OUT)) TESTCONTAINERS_RYUK_DISABLED=true $(GO) test -v $(GOFLAGS_TEST) -timeout 40m ./tests/cluster \
	  -ginkgo.junit-report=$(abspath $(OUT))/junit-cluster.xml

## run: the main job, one scenario in-process with live progress and reports.
run:
	@echo "building the harness into bin/harness (the first time, Go downloads modules and compiles every package: a minute or two)..."
	$(GO) build -v -o bin/harness ./cmd/harness
	@echo "running scenario $(SCENARIO) in-process: progress below, table at the end, reports in $(OUT)/$(SCENARIO)"
	./bin/harness run $(SCENARIO) --out $(OUT)/$(SCENARIO)

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

bench:
	@mkdir -p $(OUT)
	./scripts/bench.sh $(OUT)

image:
	$(GO) run ./cmd/harness images

conformance:
	./scripts/conformance.sh $(OUT)/conformance

## mutation: the seeded-bug check (tools/mutation/mutants.yaml), each bug as a
## build overlay: first the scenario suites alone, then the unit tests on the
## survivors (together: all of make test). Report in $(OUT)/mutation; about a
## minute per mutant.
mutation:
	$(GO) run ./tools/mutation -cumulative -out $(OUT)/mutation \
	  -suite scenarios='$(GO) test -count=1 ./tests/fast ./tests/process' \
	  -suite all='$(GO) test -count=1 $(PKGS)'

clean:
	rm -rf bin $(OUT)
