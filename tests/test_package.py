"""The layout: commenv stands alone, imports no heavy library, has no import circle; its docstring is its spec."""
import ast
import dataclasses
import doctest
import re
import subprocess
import sys
from pathlib import Path

import commenv
from commenv.config import SchedulerConfig

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("commenv", "rllib_course")


def test_import_commenv_loads_no_heavy_library_and_not_the_course():
    heavy = ("ray", "torch", "psutil", "matplotlib", "scipy", "rllib_course")
    code = ("import sys, commenv, commenv.env, commenv.render, commenv.bench, commenv.bound; "
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "[]"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports() -> dict:
    """``{module: {project modules it imports}}``, counting imports inside functions too."""
    graph = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name, targets = module_name(path), set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    targets.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    targets.add(node.module)
                    targets.update(f"{node.module}.{alias.name}" for alias in node.names)
            graph[name] = targets
    return {name: {t for t in targets if t in graph and t != name} for name, targets in graph.items()}


def test_commenv_never_imports_the_course_package():
    offenders = {name: sorted(t for t in targets if t.startswith("rllib_course"))
                 for name, targets in project_imports().items() if name.startswith("commenv")}
    assert not any(offenders.values()), offenders


def test_no_import_circle():
    graph = project_imports()
    done, path = set(), []

    def visit(name):
        if name in path:
            raise AssertionError("import circle: " + " -> ".join(path[path.index(name):] + [name]))
        if name in done:
            return
        path.append(name)
        for target in sorted(graph[name]):
            visit(target)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    assert "commenv.env" in graph and "rllib_course.figures" in graph  # the walk saw both packages


def test_the_class_docstring_has_gymnasiums_sections():
    doc = commenv.RadioSchedulingEnv.__doc__
    sections = re.findall(r"^\s*## (.+)$", doc, flags=re.M)
    for expected in ("Description", "Action Space", "Observation Space", "Rewards", "Starting State",
                     "Episode End", "Arguments", "Version History"):
        assert expected in sections, f"section '## {expected}' missing from RadioSchedulingEnv's docstring"


def test_the_docstring_example_runs():
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(commenv.RadioSchedulingEnv, "RadioSchedulingEnv", globs={}):
        runner.run(test)
    assert runner.tries >= 5 and runner.failures == 0, runner.summarize(verbose=False)


def test_the_docstring_table_lists_every_config_key_with_its_unit_default_and_meaning():
    doc = commenv.RadioSchedulingEnv.__doc__
    arguments = doc.split("## Arguments", 1)[1].split("##", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in arguments.splitlines() if line.strip().startswith("| ")]
    table = {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows[1:]}  # rows[0] is the header
    config_fields = {f.name: f for f in dataclasses.fields(SchedulerConfig)}
    assert list(table) == list(config_fields), "the docstring lists other keys, or in another order, than SchedulerConfig"
    for name, (unit, default, meaning) in table.items():
        key = config_fields[name]
        assert unit == key.metadata["unit"], f"{name}: unit {unit!r} in the docstring, {key.metadata['unit']!r} in the config"
        assert default == str(key.default), f"{name}: default {default!r} in the docstring, {key.default!r} in the config"
        assert meaning == key.metadata["meaning"], f"{name}: the docstring's meaning differs from the config's"


def test_help_shows_the_spec():
    import pydoc

    text = pydoc.render_doc(commenv.RadioSchedulingEnv, renderer=pydoc.plaintext)
    assert "Observation Space" in text and "drop_penalty" in text


def declared_requirements() -> list:
    import pytest

    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    return [Requirement(r) for r in names]


def pinned_versions() -> dict:
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not an exact pin"
            pins[canonicalize_name(name.split("[")[0])] = version
    return pins


def test_torch_is_a_lower_bound_so_an_installed_torch_is_kept():
    torch = [r for r in declared_requirements() if r.name == "torch"]
    assert torch and all(spec.operator == ">=" for r in torch for spec in r.specifier), torch


def test_requirements_txt_pins_every_declared_dependency_within_its_bounds():
    from packaging.utils import canonicalize_name

    pins = pinned_versions()
    for requirement in declared_requirements():
        name = canonicalize_name(requirement.name)
        if name == "commenv":  # the course extra names the distribution's own extras
            continue
        assert name in pins, f"{requirement} is declared in pyproject.toml but not pinned in requirements.txt"
        assert requirement.specifier.contains(pins[name]), (
            f"requirements.txt pins {name}=={pins[name]}, outside pyproject.toml's {requirement}")
