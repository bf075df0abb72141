# Two commands for a fresh machine (Python >= 3.10 and make):
#   make lab    set up .venv from requirements.txt if needed, then open the course in JupyterLab
#   make test   same set-up, then commenv's tests and nbval over every lesson notebook
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard lesson_*/*.ipynb))
# nbval runs each notebook in a fresh kernel of this environment and compares the stored outputs.
NBVAL  := $(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
          --nbval-cell-timeout=600 -p no:cacheprovider

.PHONY: install lab test test-unit test-notebooks bench clean budgets slide-metadata test-browser shape figures

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@# Build matplotlib's font cache now: its one-time notice on stderr would differ from a notebook's stored output.
	MPLBACKEND=Agg $(PY) -c "import matplotlib.pyplot" 2>/dev/null
	touch $(STAMP)

install: $(STAMP)

lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=. --ServerApp.open_browser=True README.md

test: test-unit test-notebooks

test-unit: install
	$(PY) -m pytest tests -q --cov=commenv --cov=rllib_course --cov-report=term-missing --cov-fail-under=90

test-notebooks: install
ifeq ($(NOTEBOOKS),)
	@echo "no lesson notebooks yet: nbval skipped"
else
	$(NBVAL) $(NOTEBOOKS)
endif

bench: install
	$(PY) -m commenv.bench

# Every figure in imgs/, redrawn from its script in imgs/src/.
figures: install
	set -e; for script in imgs/src/*.py; do $(PY) $$script; done

# Static shape of every notebook (also part of test-unit, via tests/test_notebook_shape.py).
shape: install
	$(PY) -m tools.notebook_shape

# Wall time and peak memory (kernel + every Ray process) of each notebook -> docs/notebook_budgets.md.
# Measure on an idle 2-core machine; fails when a notebook errors or exceeds 180 s or 2 GB.
# BUDGETS_FLAGS=--write also saves each notebook with its fresh outputs.
# Then `$(PY) -m tools.course_map` copies the figures into the README's course map and INSTRUCTORS.md.
budgets: install
	$(PY) -m tools.run_notebooks $(BUDGETS_FLAGS) $(NOTEBOOKS)

# Slides: instructors present the notebook itself with RISE (jupyterlab-rise, pinned in requirements.txt),
# which serves reveal.js from this Jupyter server; no CDN, so it works without internet (INSTRUCTORS.md).
# RISE_DEFAULTS: the course's RISE settings (theme with bundled fonts, scrolling slides), read by JupyterLab.
RISE_DEFAULTS := $(VENV)/share/jupyter/lab/settings/overrides.d/rllib-course.json5
$(RISE_DEFAULTS): tools/rise_defaults.json5 $(STAMP)
	mkdir -p $(dir $@) && cp tools/rise_defaults.json5 $@
install: $(RISE_DEFAULTS)

# RISE reads each cell's slide type from the notebook: store them (metadata.slideshow only; a second run
# changes nothing). `$(PY) -m tools.slide_metadata --check $(NOTEBOOKS)` says which notebook lacks them.
slide-metadata: install
	$(PY) -m tools.slide_metadata --in-place $(NOTEBOOKS)

# JupyterLab in headless Chromium, offline (only the local server), runs BROWSER_NOTEBOOK top to bottom, then
# presents it with RISE; screenshots in build/browser/.
BROWSER_NOTEBOOK ?= lesson_1/1-rl_and_the_gymnasium_api.ipynb
CHROMIUM ?= /usr/bin/chromium
test-browser: install
	test -x $(CHROMIUM) || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-browser.txt
	$(PY) -m tools.browser_smoke --notebook $(BROWSER_NOTEBOOK) --chromium $(CHROMIUM)

clean:
	rm -rf $(VENV) build *.egg-info
