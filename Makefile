# Two commands set everything up on a fresh machine:
#   make demo   -> venv, install, run the main job on sample_frames/, print the throughput report
#   make test   -> venv, install, run the whole test suite (and runtime-check)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
DEMO_OUT ?= demo_out
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: demo test test-fast lint bench bench-codecs clean-demo venv runtime-check

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# torch is pinned to the CPU build on disk (torch==2.13.0); the [train] extra holds it.
$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install -q -e '.[gui,dev,train,farm]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_OUT)
	$(VENV)/bin/laika-fx batch sample_frames $(DEMO_OUT) --save-masks --preview $(DEMO_OUT)/preview.mp4

test: $(STAMP) runtime-check
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	cd benchmarks && ../$(PY) bench_speed.py $(BENCH_ARGS)

# frame codecs against OpenCV and the candidate libraries (docs/benchmarks.md#frame-codecs)
bench-codecs: $(STAMP)
	$(PY) benchmarks/bench_codecs.py

# The runtime's real dependency list: a second venv with only `pip install .` (no extras,
# not editable) must run `laika-fx batch` on sample_frames/, and the app's and the training
# libraries must be absent from it. The venv is rebuilt when setup.cfg or pyproject.toml
# change; the package itself is reinstalled on every run.
RUNTIME_VENV  := .venv-runtime
RUNTIME_PY    := $(RUNTIME_VENV)/bin/python
RUNTIME_STAMP := $(RUNTIME_VENV)/.installed-$(shell cat setup.cfg pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
NOT_RUNTIME   := torch PySide6 shiboken6 nncf skimage matplotlib

$(RUNTIME_STAMP): setup.cfg pyproject.toml
	rm -rf $(RUNTIME_VENV)
	$(PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_PY) -m pip install -q .
	touch $(RUNTIME_STAMP)

runtime-check: $(RUNTIME_STAMP)
	rm -rf build/lib build/bdist.*  # no module left over from an earlier build goes into the wheel
	$(RUNTIME_PY) -m pip install -q --no-deps --force-reinstall .
	@set -e; out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	root=$$(pwd); expected=$$(ls sample_frames/frame.*.png | wc -l); \
	cd "$$out"; \
	for mod in $(NOT_RUNTIME); do \
	  if $$root/$(RUNTIME_PY) -c "import $$mod" 2>/dev/null; then \
	    echo "runtime-check: $$mod is importable in the runtime-only install"; exit 1; fi; \
	done; \
	$$root/$(RUNTIME_PY) -c "import laika_fx, sys; sys.exit(0 if '/site-packages/' in laika_fx.__file__ else 'laika_fx not from the installed wheel: ' + laika_fx.__file__)"; \
	$$root/$(RUNTIME_VENV)/bin/laika-fx batch "$$root/sample_frames" "$$out/out" > "$$out/batch.log" 2>&1 \
	  || { cat "$$out/batch.log"; echo "runtime-check: laika-fx batch failed"; exit 1; }; \
	written=$$(ls "$$out"/out/frame.*.png | wc -l); \
	if [ "$$written" -ne "$$expected" ]; then \
	  cat "$$out/batch.log"; echo "runtime-check: $$written of $$expected frames written"; exit 1; fi; \
	echo "runtime-check: laika-fx batch wrote $$written frames with only the runtime installed ($(NOT_RUNTIME) absent)"

clean-demo:
	rm -rf $(DEMO_OUT)
