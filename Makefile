# Two commands set everything up on a fresh machine:
#   make demo   -> venv, install, run the main job on sample_frames/, print the throughput report
#   make test   -> venv, install, run the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
DEMO_OUT ?= demo_out
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint bench clean-demo venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# torch is pinned to the CPU build on disk (torch==2.13.0); the [train] extra holds it.
$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install -q -e '.[gui,dev,train]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_OUT)
	$(VENV)/bin/laika-fx batch sample_frames $(DEMO_OUT) --save-masks --preview $(DEMO_OUT)/preview.mp4

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/bench_pipeline.py

clean-demo:
	rm -rf $(DEMO_OUT)
