# Two commands on a fresh machine with Python 3.11, pip and make: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
VENV   := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test lint install clean bench bench-faults bench-scale catalogs messages

# uv comes from PyPI into .tools/ (pip's --target needs no venv module); it then builds .venv.
$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TOOLS) uv==$(UV_VERSION)

$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	$(VENV)/bin/python -m compileall -q app
	touch $@

install: $(VENV)/.installed catalogs

# Translations: each language's catalog (app/locale/<code>/LC_MESSAGES/messages.po) is compiled
# to the .mo file the site reads. `make messages` extracts the interface text from the code and
# templates and adds what is new to every catalog, for translators to fill in.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard app/locale/*/LC_MESSAGES/messages.po))
BABEL_KEYWORDS := -k N_ -k pgettext:1c,2

catalogs: $(CATALOGS)

%.mo: %.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@

messages: $(VENV)/.installed
	mkdir -p var
	$(VENV)/bin/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--project=Portico -o var/messages.pot .
	$(VENV)/bin/pybabel update -i var/messages.pot -d app/locale --width=100 --ignore-obsolete --no-fuzzy-matching

run: install
	$(VENV)/bin/portal db upgrade
	$(VENV)/bin/portal serve --demo

# Half as many workers again as cores: a worker waiting on PostgreSQL, Chromium or a served
# process leaves its core to another (on 2 cores, 3 workers took 4:42 where 2 took 5:39 and 4 4:48).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 3 / 2 )))
PYTEST_ARGS ?= -n $(TEST_WORKERS) --dist worksteal

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Not a test: latency and errors while PostgreSQL, Redis or SMTP is cut (figures in README.md).
bench-faults: install
	$(VENV)/bin/python -m bench.faults

lint: install
	$(VENV)/bin/ruff check app tests alembic
	$(VENV)/bin/ruff format --check app tests alembic
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache

# Serving speed beside a bare ASGI app: needs Debian's wrk (apt-get install -y -qq wrk).
BENCH_ARGS ?=
bench: install
	$(VENV)/bin/python -m bench.pages $(BENCH_ARGS)

# Few and many articles served side by side, each page loaded in turns: SCALE_ARGS="--small FILE --large FILE".
SCALE_ARGS ?=
bench-scale: install
	$(VENV)/bin/python -m bench.scale $(SCALE_ARGS)
