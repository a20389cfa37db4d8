# SAETrack — every target works on a fresh Debian machine with nothing installed but Swift.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
CONFIG ?= release
BIN = .build/$(CONFIG)/saetrack
export SAETRACK_THREADS ?= $(shell nproc 2>/dev/null || echo 2)
# The report's browser test fails (instead of skipping) when chromium is missing.
export SAETRACK_REQUIRE_BROWSER ?= 1
# The saetrack-mpi tests fail (instead of skipping) when mpirun is missing.
export SAETRACK_REQUIRE_MPI ?= 1

.PHONY: setup setup-browser build test test-kernels docs demo bench fixtures clean

## setup: install OpenBLAS, LAPACKE, pkg-config and Open MPI (for saetrack-mpi only) with apt-get
## when they are missing.
setup:
	@if ! pkg-config --exists openblas 2>/dev/null || [ ! -f /usr/include/lapacke.h ]; then \
		echo "installing libopenblas-dev liblapacke-dev pkg-config"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenblas-dev liblapacke-dev pkg-config; \
	fi
	@if ! pkg-config --exists ompi-c 2>/dev/null || ! command -v mpirun >/dev/null 2>&1; then \
		echo "installing libopenmpi-dev openmpi-bin"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenmpi-dev openmpi-bin; \
	fi

## setup-browser: install chromium with apt-get when it is missing (the tests need it; the demo does not).
setup-browser:
	@# Headless Chromium for the report's browser test (Tests/SAETrackTests/BrowserReportTests.swift).
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing chromium"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; \
	fi

## build: the library and the saetrack CLI (release).
build: setup
	$(SWIFT) build -c $(CONFIG)

# Tests run optimised (numerical tests are slow in debug); -enable-testing keeps @testable imports.
TESTFLAGS = -c release -Xswiftc -enable-testing

## test: the whole test suite (fixtures are committed; no Python needed).
test: setup setup-browser
	$(SWIFT) build $(TESTFLAGS) --build-tests
	$(SWIFT) test $(TESTFLAGS) --skip-build
	$(SWIFT) build --package-path Examples/TrackExample

## test-kernels: after `make test`, the built suite again under each OpenBLAS kernel family this
## CPU runs (Prescott, Haswell, SkylakeX where supported) and OpenBLAS's own choice; no rebuild.
test-kernels:
	Tests/run-kernel-matrix.sh

## demo: the embedded default, end to end.
demo: build
	$(BIN) demo --out demo-out

## bench: throughput harnesses (GEMM table and JSON in bench-out/).
bench: build
	$(BIN) bench gemm --json bench-out/gemm.json

## fixtures: regenerate the committed test fixtures (needs Python; run by hand only).
fixtures:
	python3 -m venv venv && venv/bin/pip install -q "torch==2.13.0+cpu" && venv/bin/pip install -q -r Tests/Fixtures/requirements.txt
	@# generate_authors.py needs a checkout of the SAE-Track authors' code: make fixtures AUTHORS_CODE=DIR
	for g in Tests/Fixtures/*/generate*.py; do \
		case $$g in *generate_authors.py) \
			if [ -z "$(AUTHORS_CODE)" ]; then echo "== skip $$g (set AUTHORS_CODE=DIR)"; continue; fi; \
			echo "== $$g"; WANDB_MODE=disabled venv/bin/python $$g "$(AUTHORS_CODE)" || exit 1; continue;; \
		esac; \
		echo "== $$g"; venv/bin/python $$g || exit 1; \
	done

clean:
	rm -rf .build

## docs: build the DocC documentation of every library module into .build/docs/<Module>.doccarchive.
## A symbol link that does not resolve fails the build; other DocC warnings are counted. Reuses the
## release build of `make test` (run it first, or this builds it).
DOC_MODULES = SAETrackCore SAETrackIO SAETrackLM SAETrackSAE SAETrackMetrics SAETrack SAETrackMPI
docs: setup
	$(SWIFT) package $(TESTFLAGS) dump-symbol-graph --minimum-access-level public >/dev/null
	@graphs=$$(find .build -maxdepth 2 -type d -name symbolgraph | head -1); \
	test -n "$$graphs" || { echo "no symbol graphs under .build"; exit 1; }; \
	for m in $(DOC_MODULES); do \
		rm -rf .build/docs/graphs-$$m && mkdir -p .build/docs/graphs-$$m; \
		cp $$graphs/$$m.symbols.json .build/docs/graphs-$$m/ && cp $$graphs/$$m@*.symbols.json .build/docs/graphs-$$m/ 2>/dev/null; \
		docc convert Sources/$$m/$$m.docc --fallback-display-name $$m --fallback-bundle-identifier org.saetrack.$$m \
			--additional-symbol-graph-dir .build/docs/graphs-$$m --output-path .build/docs/$$m.doccarchive \
			>.build/docs/$$m.log 2>&1 || { cat .build/docs/$$m.log; exit 1; }; \
		broken=$$(grep -cE "^warning: .*(doesn't exist|is ambiguous)" .build/docs/$$m.log); \
		echo "docs $$m: $$(grep -c '^warning' .build/docs/$$m.log) warnings, $$broken broken links"; \
		if [ "$$broken" != 0 ]; then grep -A3 -E "^warning: .*(doesn't exist|is ambiguous)" .build/docs/$$m.log; exit 1; fi; \
	done; echo "documentation in .build/docs/ (open with: docc preview, or serve a static export)"
