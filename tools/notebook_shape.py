"""The shape every lesson notebook shares, checked statically (nothing is executed).

    python -m tools.notebook_shape                 # every lesson_*/*.ipynb, commenv/**.py, rllib_course/**.py
    python -m tools.notebook_shape NOTEBOOK.ipynb  # only these files (.ipynb or .py)

Exit status 1 when a rule is broken; each problem is printed as ``path: rule: message``.
``tests/test_notebook_shape.py`` runs the same checks on every notebook, one test per rule.

Rules (CONTRIBUTING.md says why):

=============  ==========================================================================
json           the file is a readable notebook
size           the file is at most 2 MB
title          the first cell is markdown and starts with ``# Title``
badge          the first cell holds an "Open in Colab" badge that links to this notebook:
               ``https://colab.research.google.com/github/<owner>/<repo>/blob/main/<path>``, the
               repository being ``[project.urls] Repository`` of pyproject.toml
setup          a cell that installs with ``%pip install`` installs the course from that repository:
               ``"commenv[course] @ git+<Repository>"``
slides         every cell carries the slide type that ``tools.slide_metadata`` gives it (RISE reads it)
sections       markdown headings for the learning objectives, the summary and the exercises
executed       every code cell with source ran, in order, in one kernel: 1, 2, 3, ... no gaps
errors         no stored error output (nor a Traceback on stderr), except in cells that nbval
               expects to raise (``# NBVAL_RAISES_EXCEPTION`` or the tag ``raises-exception``)
paths          no absolute machine path (/home/, /root/, /tmp/, /Users/, C:\\) in a source or
               in a text output
ignored        at most half of the code cells with output are ignored by nbval
               (``# NBVAL_IGNORE_OUTPUT``, ``# NBVAL_SKIP`` or their tags)
ray-shutdown   a notebook that imports Ray (or calls ``start_ray``) calls ``ray.shutdown()``
old-api        no RLlib name that 2.60 removed or ignores in a code cell (see ``OLD_API``)
glossary       the first cell links the course glossary, ``docs/glossary.md``, by its path
               relative to the notebook (``[...](../docs/glossary.md)``)
solutions      every code cell under a ``Reference solution(s)`` heading (up to the next heading)
               is folded until the learner asks: cell metadata ``"jupyter": {"source_hidden":
               true, "outputs_hidden": true}`` (JupyterLab) and ``"cellView": "form"`` with the
               first line ``# @title Reference solution (click to show)`` (Colab), and the
               markdown cell of that heading says how to unfold it (it contains "click")
=============  ==========================================================================

``NOT_YET_FOLDED`` names the notebooks that the glossary and solutions rules skip for now, until
their authors add the link and fold their solutions; it is meant to be emptied.

Old API names shown on purpose (a teaching cell that demonstrates the error, say) are allowed
in three places:

* a code cell with the line ``# old-api: shown on purpose`` or the cell tag ``old-api``
  (in a ``.py`` file: that comment at the end of the line);
* comments (they never run);
* string literals of a cell that renders Markdown (``Markdown(...)``), such as an old -> new
  table built in code.

Everywhere else a string counts too: ``result["episode_reward_mean"]`` is old API.
"""
from __future__ import annotations

import io
import json
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tools import notebooks
from tools.notebooks import ROOT, lesson_notebooks, relative_path, text
from tools.slide_metadata import stale_cells

MAX_BYTES = 2 * 1024 * 1024
MAX_IGNORED_SHARE = 0.5
OLD_API_MARKER = "# old-api: shown on purpose"
OLD_API_TAG = "old-api"

RULES = ("json", "size", "title", "badge", "setup", "slides", "sections", "executed", "errors", "paths", "ignored",
         "ray-shutdown", "old-api", "glossary", "solutions")

GLOSSARY = "docs/glossary.md"
# Skipped by the glossary and solutions rules until their authors update them; empty it then.
NOT_YET_FOLDED: tuple[str, ...] = ()
SOLUTION_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+reference solutions?\b", re.I | re.M)
SOLUTION_TITLE = "# @title Reference solution (click to show)"
REVEAL_HINT = re.compile(r"\bclick\b", re.I)

MACHINE_PATH = re.compile(r"/home/|/root/|/tmp/|/Users/|C:\\")
SECTIONS = {
    "learning objectives": re.compile(r"objectives?\b|you will learn|\bgoals\b", re.I),
    "summary": re.compile(r"\bsummary\b|\brecap\b|key takeaways", re.I),
    "exercises": re.compile(r"\bexercises?\b", re.I),
}
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*)$", re.M)
HTML_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.I | re.S)

PIP_INSTALL = re.compile(r"^\s*[%!]\s*pip\s+install\b(.*)$", re.M)

# Old-stack names: (pattern, what to use in 2.60, also search inside string literals?).
# Patterns run on code with comments removed; the "in strings" ones also on string literals.
OLD_API = [
    (r"\bsgd_minibatch_size\b", "training(minibatch_size=...)", True),
    (r"\bnum_sgd_iter\b", "training(num_epochs=...)", True),
    (r"\.rollouts\s*\(", ".env_runners(...)", False),
    (r"\bnum_rollout_workers\b", "num_env_runners", True),
    (r"\bnum_envs_per_worker\b", "num_envs_per_env_runner", True),
    (r"\bnum_cpus_per_worker\b", "num_cpus_per_env_runner", True),
    (r"\bevaluation_num_workers\b", "evaluation_num_env_runners", True),
    (r"\bnum_learner_workers\b", "learners(num_learners=...)", True),
    (r"\bnum_gpus_per_learner_worker\b", "learners(num_gpus_per_learner=...)", True),
    (r"\bnum_cpus_for_local_worker\b", "resources(num_cpus_for_main_process=...)", True),
    (r"\blr_schedule\b", "lr=[[t, value], ...]", True),
    (r"\bentropy_coeff_schedule\b", "entropy_coeff=[[t, value], ...]", True),
    (r"\bexploration_config\b", "override RLModule._forward_exploration", True),
    (r"\.exploration\s*\(", "RLModule._forward_exploration", False),
    (r"\bcompute_single_actions?\b", "module.forward_inference(...)", False),
    (r"\bcompute_actions\s*\(", "module.forward_inference(...)", False),
    (r"\b(?:PPO|APPO|DQN|SAC|IMPALA|Impala|A2C|A3C|PG|DDPG|TD3|ES|ARS|MARWIL|BC|CQL)Trainer\b",
     "PPO / PPOConfig().build_algo()", False),
    (r"\bray\.rllib\.agents\b", "ray.rllib.algorithms", True),
    (r"\bget_policy\s*\(", "algo.get_module()", False),
    (r"\bexport_policy_model\b", "RLModule checkpoints", False),
    (r"\blocal_worker\s*\(", "algo.env_runner", False),
    (r"\.evaluation_workers\b", "algo.eval_env_runner_group", False),
    (r"\.workers\s*\.", "algo.env_runner_group", False),
    (r"\b_enable_new_api_stack\b", "api_stack(...)", True),
    (r"\bmodel_config_dict\b", "model_config=", True),
    (r"\b(?:SingleAgent|MultiAgent)RLModuleSpec\b", "RLModuleSpec / MultiRLModuleSpec", False),
    (r"\bcustom_model\b", "a custom RLModule with RLModuleSpec(module_class=...)", True),
    (r"\bepisode_reward_mean\b", 'result["env_runners"]["episode_return_mean"]', True),
    (r"\btimesteps_total\b", 'result["num_env_steps_sampled_lifetime"]', True),
    (r"\blearner_stats\b", 'result["learners"]', True),
    (r"\blocal_mode\s*=\s*True\b", "num_env_runners=0 (local_mode was removed)", False),
    (r"\bupdate_from_episodes\s*\(", "learner_group.update(episodes=...)", False),
    (r"\bmerge_and_log_n_dicts\s*\(", "self.metrics.aggregate(...)", False),
]
OLD_API = [(re.compile(p), new, in_strings) for p, new, in_strings in OLD_API]
# AlgorithmConfig methods: `<config chain>.build()` is the old spelling of build_algo().
CONFIG_METHODS = {"environment", "env_runners", "learners", "training", "rl_module", "resources", "framework",
                  "evaluation", "debugging", "fault_tolerance", "api_stack", "reporting", "callbacks",
                  "multi_agent", "offline_data", "checkpointing", "rollouts", "exploration", "experimental",
                  "python_environment", "update_from_dict", "overrides"}
CONFIG_NAME = re.compile(r"(?:^|_)(?:config|cfg|conf)$|Config$", re.I)
PYTHON_CELL_MAGICS = {"capture", "time", "timeit", "prun", "writefile"}


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str

    def __str__(self):
        return f"{self.rule}: {self.message}"


# --------------------------------------------------------------------------------------------
# old API

def _split_code(src: str):
    """Return (code, strings): the source with comments and string contents blanked, and the strings.

    IPython magics and shell lines are blanked first. A cell that does not tokenize (a cell that
    shows a SyntaxError on purpose) is treated as code with its '#' comment lines removed.
    """
    lines = src.splitlines(keepends=True)
    if lines and lines[0].startswith("%%"):
        magic = lines[0][2:].split()[0] if lines[0][2:].split() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return "", []
        lines = ["\n"] + lines[1:]
    lines = [re.sub(r"^(\s*)[%!].*", r"\1pass", ln) if re.match(r"^\s*[%!]", ln) else ln for ln in lines]
    python = "".join(lines)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(python).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        code = "\n".join(ln for ln in python.splitlines() if not ln.lstrip().startswith("#"))
        return code, []
    rows = python.splitlines(keepends=True)
    offsets = [0]
    for row in rows:
        offsets.append(offsets[-1] + len(row))
    chars = list(python)
    strings = []
    string_types = {tokenize.STRING} | ({tokenize.FSTRING_MIDDLE} if hasattr(tokenize, "FSTRING_MIDDLE") else set())
    for tok in tokens:
        if tok.type == tokenize.COMMENT or tok.type in string_types:
            if tok.type in string_types:
                strings.append(tok.string)
            start = offsets[tok.start[0] - 1] + tok.start[1]
            end = offsets[tok.end[0] - 1] + tok.end[1]
            for k in range(start, min(end, len(chars))):
                if chars[k] != "\n":
                    chars[k] = " "
            if tok.type == tokenize.STRING and end - start >= 2:  # keep the quotes: "..." stays an expression
                chars[start], chars[end - 1] = '"', '"'
    return "".join(chars), strings


def _matching_paren(code: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] in "([{":
            depth += 1
        elif code[k] in ")]}":
            depth -= 1
            if depth == 0:
                return k
    return len(code)


def _opening_paren(code: str, close_at: int) -> int:
    depth = 0
    for k in range(close_at, -1, -1):
        if code[k] in ")]}":
            depth += 1
        elif code[k] in "([{":
            depth -= 1
            if depth == 0:
                return k
    return 0


def _old_calls(code: str):
    """Old API that needs a look at call structure: training(model=...), training(vf_share_layers=...),
    and .build() on an AlgorithmConfig."""
    for m in re.finditer(r"\btraining\s*\(", code):
        args = code[m.end() - 1:_matching_paren(code, m.end() - 1) + 1]
        for kw, new in (("model", "rl_module(model_config=...)"),
                        ("vf_share_layers", "model_config={'vf_share_layers': ...}")):
            if re.search(rf"[(,]\s*{kw}\s*=(?!=)", args):
                yield f"training({kw}=...)", new
    for m in re.finditer(r"\.\s*build\s*\(\s*\)", code):
        before = code[:m.start()].rstrip()
        if before.endswith(")"):
            opening = _opening_paren(before, len(before) - 1)
            name = re.search(r"([A-Za-z_]\w*)\s*$", before[:opening])
            if name and (name.group(1) in CONFIG_METHODS or name.group(1).endswith("Config")):
                yield f"{name.group(1)}(...).build()", "build_algo()"
        else:
            name = re.search(r"([A-Za-z_]\w*)$", before)
            if name and CONFIG_NAME.search(name.group(1)):
                yield f"{name.group(1)}.build()", "build_algo()"


def old_api_uses(src: str, allow_strings: bool = False) -> list[str]:
    """The old-stack names used in a piece of Python source, as 'name (use ... in 2.60)'."""
    code, strings = _split_code(src)
    found = []
    for pattern, new, in_strings in OLD_API:
        hits = [m.group(0) for m in pattern.finditer(code)]
        if in_strings and not allow_strings:
            hits += [m.group(0) for s in strings for m in pattern.finditer(s)]
        for hit in dict.fromkeys(h.strip().rstrip("( ") for h in hits):
            found.append(f"{hit} (2.60: {new})")
    found += [f"{hit} (2.60: {new})" for hit, new in dict.fromkeys(_old_calls(code))]
    return found


def check_python_file(path) -> list[Problem]:
    """The old-api rule on a module (commenv/, rllib_course/): lines ending in the marker comment are exempt."""
    src = Path(path).read_text(encoding="utf-8")
    kept = "".join("\n" if OLD_API_MARKER in line else line for line in src.splitlines(keepends=True))
    return [Problem("old-api", f"uses {use}") for use in old_api_uses(kept)]


# --------------------------------------------------------------------------------------------
# notebooks

colab_url = notebooks.colab_url


def _headings(markdown: str) -> list[str]:
    return [m.group(2) for m in HEADING.finditer(markdown)] + HTML_HEADING.findall(markdown)


def _output_text(output) -> str:
    """The text of an output, without images (base64 may contain '/tmp/' by chance)."""
    if output.get("output_type") == "stream":
        return text(output.get("text"))
    if output.get("output_type") == "error":
        return "\n".join([output.get("ename", ""), output.get("evalue", "")] + list(output.get("traceback", [])))
    parts = []
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime.endswith("json") or mime == "application/javascript":
            is_text = isinstance(value, str) or isinstance(value, list) and all(isinstance(v, str) for v in value)
            parts.append(text(value) if is_text else json.dumps(value))
    return "\n".join(parts)


def glossary_link(rel_path: str) -> str:
    """The glossary's path relative to the notebook at ``rel_path``, as a markdown link target."""
    depth = len(PurePosixPath(rel_path.replace(chr(92), "/")).parent.parts)
    return "../" * depth + GLOSSARY


def solution_cells(cells) -> tuple[list[int], list[int]]:
    """(indices of the markdown cells with a Reference solution(s) heading, indices of the code cells under them).

    A code cell belongs to a solution from that heading up to the next markdown cell with any heading.
    """
    headings, code, inside = [], [], False
    for i, cell in enumerate(cells):
        src = text(cell.get("source"))
        if cell.get("cell_type") == "markdown":
            if SOLUTION_HEADING.search(src):
                headings.append(i)
                # a heading after the solution heading in the same cell ends the section there
                after = src[SOLUTION_HEADING.search(src).end():]
                inside = not _headings(after)
            elif _headings(src):
                inside = False
        elif cell.get("cell_type") == "code" and inside and src.strip():
            code.append(i)
    return headings, code


def folded(cell) -> bool:
    """A solution cell that JupyterLab and Colab both show collapsed until the learner asks."""
    metadata = cell.get("metadata", {})
    hidden = metadata.get("jupyter", {})
    first = text(cell.get("source")).lstrip().splitlines()[:1]
    return (hidden.get("source_hidden") is True and hidden.get("outputs_hidden") is True
            and metadata.get("cellView") == "form" and first == [SOLUTION_TITLE])


def _check_glossary_and_solutions(cells, rel_path: str) -> list[Problem]:
    if rel_path in NOT_YET_FOLDED:
        return []
    problems = []
    link = glossary_link(rel_path)
    first = text(cells[0].get("source")) if cells and cells[0].get("cell_type") == "markdown" else ""
    if not re.search(r"\]\(" + re.escape(link) + r"\)", first):
        problems.append(Problem("glossary", f"the first cell does not link the glossary: add a markdown link to "
                                            f"({link})"))
    headings, code = solution_cells(cells)
    for i in headings:
        if not REVEAL_HINT.search(text(cells[i].get("source"))):
            problems.append(Problem("solutions", f"cell {i} heads the reference solutions but does not say how to "
                                                 "show them (e.g. 'click ... to show the code')"))
    for i in code:
        if not folded(cells[i]):
            problems.append(Problem("solutions", f"cell {i} is a reference solution that is not folded: set "
                                                 'metadata "jupyter": {"source_hidden": true, "outputs_hidden": '
                                                 f'true}}, "cellView": "form" and first line {SOLUTION_TITLE!r}'))
    return problems


def check_notebook(path, rel_path: str | None = None) -> list[Problem]:
    """Every rule on one notebook; ``rel_path`` is its path in the repository (for the badge)."""
    path = Path(path)
    rel_path = rel_path or relative_path(path)
    problems = []
    size = path.stat().st_size
    if size > MAX_BYTES:
        problems.append(Problem("size", f"{size / 1e6:.2f} MB > {MAX_BYTES / 1e6:.2f} MB (clear large images "
                                        "or use smaller figures)"))
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (ValueError, KeyError, TypeError) as error:
        return problems + [Problem("json", f"not a readable notebook: {error}")]

    # title and badge
    first = cells[0] if cells else {}
    first_src = text(first.get("source")) if first else ""
    if first.get("cell_type") != "markdown" or not re.match(r"#\s+\S", first_src.lstrip()):
        problems.append(Problem("title", "the first cell is not a markdown cell starting with '# Title'"))
    url = colab_url(rel_path)
    colab_prefix = colab_url("")
    if first.get("cell_type") != "markdown":
        problems.append(Problem("badge", f"no 'Open in Colab' badge in the first cell (link it to {url})"))
    else:
        if not re.search(re.escape(url) + r"(?=[)\"'\s]|$)", first_src):
            problems.append(Problem("badge", f"the first cell has no 'Open in Colab' link to {url}"))
        elif not re.search(r"open\s*in\s*colab|colab-badge", first_src, re.I):
            problems.append(Problem("badge", "the Colab link in the first cell is not an 'Open in Colab' badge"))
        for other in re.findall(re.escape(colab_prefix) + r"([^)\"'\s]+)", first_src):
            if other != rel_path:
                problems.append(Problem("badge", f"the badge links to {other}, not to this notebook ({rel_path})"))

    # setup cell and slide types
    spec = notebooks.setup_spec()
    for i, cell in enumerate(cells):
        if cell.get("cell_type") == "code":
            for args in PIP_INSTALL.findall(text(cell.get("source"))):
                if f'"{spec}"' not in args:
                    problems.append(Problem("setup", f"cell {i} runs pip install{args} instead of installing "
                                                     f'"{spec}" (from pyproject.toml\'s [project.urls])'))
    stale = stale_cells(nb)
    if stale:
        problems.append(Problem("slides", f"{len(stale)} cells lack their slide type (cells "
                                          f"{', '.join(map(str, stale[:5]))}{', ...' if len(stale) > 5 else ''}); "
                                          f"run: python -m tools.slide_metadata --in-place {rel_path}"))

    # sections
    headings = _headings("\n".join(text(c.get("source")) for c in cells if c.get("cell_type") == "markdown"))
    for name, pattern in SECTIONS.items():
        if not any(pattern.search(h) for h in headings):
            problems.append(Problem("sections", f"no markdown heading for the {name} (e.g. '## {name.capitalize()}')"))

    expected, with_output, ignored = 1, 0, 0
    imports_ray = shuts_down = False
    for i, cell in enumerate(cells):
        src = text(cell.get("source"))
        where = f"cell {i}"
        if MACHINE_PATH.search(src):
            problems.append(Problem("paths", f"{where} source holds a machine path "
                                             f"({MACHINE_PATH.search(src).group(0)}...)"))
        if cell.get("cell_type") != "code":
            continue
        tags = notebooks.tags(cell)
        outputs = cell.get("outputs", [])
        if src.strip():
            n = cell.get("execution_count")
            if n is None:
                problems.append(Problem("executed", f"{where} was not run (restart the kernel and run all)"))
            elif n != expected:
                problems.append(Problem("executed", f"{where} ran as [{n}], expected [{expected}] "
                                                    "(restart the kernel and run all)"))
                expected = n
            expected += 1 if n is not None else 0
        may_raise = notebooks.may_raise(cell)
        for out in outputs:
            body = _output_text(out)
            if not may_raise and out.get("output_type") == "error":
                problems.append(Problem("errors", f"{where} stored an error: {out.get('ename')}: "
                                                  f"{str(out.get('evalue', ''))[:120]}"))
            elif (not may_raise and out.get("output_type") == "stream" and out.get("name") == "stderr"
                  and "Traceback (most recent call last)" in body):
                problems.append(Problem("errors", f"{where} printed a Traceback on stderr"))
            if MACHINE_PATH.search(body):
                problems.append(Problem("paths", f"{where} output holds a machine path "
                                                 f"({MACHINE_PATH.search(body).group(0)}...)"))
        if outputs:
            with_output += 1
            ignored += notebooks.ignores_output(cell)
        code, _ = _split_code(src)
        if re.search(r"^\s*(import\s+ray\b|from\s+ray\b)|\bstart_ray\s*\(", code, re.M):
            imports_ray = True
        if re.search(r"\bray\s*\.\s*shutdown\s*\(", code):
            shuts_down = True
        if OLD_API_MARKER not in src and OLD_API_TAG not in tags:
            for use in old_api_uses(src, allow_strings="Markdown(" in code):
                problems.append(Problem("old-api", f"{where} uses {use}; if it is shown on purpose, add the line "
                                                   f"'{OLD_API_MARKER}' to the cell"))
    if with_output and ignored / with_output > MAX_IGNORED_SHARE:
        problems.append(Problem("ignored", f"nbval ignores the output of {ignored} of {with_output} code cells with "
                                           f"output (> {MAX_IGNORED_SHARE:.0%}); make more cells deterministic"))
    if imports_ray and not shuts_down:
        problems.append(Problem("ray-shutdown", "the notebook starts or imports Ray but never calls ray.shutdown()"))
    return problems + _check_glossary_and_solutions(cells, rel_path)


def course_modules(root=ROOT) -> list[Path]:
    """Every module of the two packages a notebook imports: the environment and the lessons' helpers."""
    return sorted(path for package in ("commenv", "rllib_course") for path in Path(root, package).rglob("*.py"))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    paths = [Path(a) for a in argv] or lesson_notebooks() + course_modules()
    total = 0
    for path in paths:
        problems = check_python_file(path) if path.suffix == ".py" else check_notebook(path)
        for problem in problems:
            print(f"{relative_path(path)}: {problem}")
        total += len(problems)
    print(f"{len(paths)} files checked, {total} problems")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
