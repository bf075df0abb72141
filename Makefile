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

.PHONY: install lab test test-unit test-notebooks bench clean

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
	$(PY) -m pytest tests -q --cov=commenv --cov-report=term-missing --cov-fail-under=90

test-notebooks: install
ifeq ($(NOTEBOOKS),)
	@echo "no lesson notebooks yet: nbval skipped"
else
	$(NBVAL) $(NOTEBOOKS)
endif

bench: install
	$(PY) -m commenv.bench

clean:
	rm -rf $(VENV) build *.egg-info slides
