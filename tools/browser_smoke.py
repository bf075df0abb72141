"""Real-browser smoke test of ``make lab``: JupyterLab in headless Chromium runs a notebook top to bottom.

    python -m tools.browser_smoke [--notebook lesson_1/1-rl_and_the_gymnasium_api.ipynb]
                                  [--chromium /usr/bin/chromium] [--timeout 600] [--screenshot PATH]

``make test-browser`` installs what it needs and runs this. Steps:

1. copy the notebook into a temporary root (same relative path, ``imgs/`` linked beside it), so the
   run can never write into the repository, and start ``jupyter lab`` from this environment on
   127.0.0.1 with a random token, a temporary runtime, settings and workspace folder, and autosave off;
2. open the notebook in headless Chromium (Playwright drives the system's Chromium; no browser is
   downloaded) with a fresh ``--user-data-dir``;
3. click Edit > Clear Outputs of All Cells, then Run > Run All Cells, wait until every code cell has run and the kernel is idle;
   then View > Expand All Code and Expand All Outputs, as a student opening the folded reference solutions
   does (a folded cell shows no prompt, so without this its run could not be seen);
4. fail when a cell shows an error or a Traceback (cells marked ``NBVAL_RAISES_EXCEPTION`` may), when a
   code cell did not run, or when the execution counts are not 1, 2, 3, ...;
5. save a screenshot (default ``build/browser/<notebook>.png``; ``build/`` is ignored by git) and one
   of the first figure (``<notebook>-figure.png``);
6. present the notebook with RISE, as an instructor does: JupyterLab's command ``RISE:slideshow`` ("Open as
   Reveal Slideshow") opens it as reveal.js slides in a new tab; fail unless the first slide shows the
   notebook's title, the math is typeset and the right arrow key moves on; screenshot ``<notebook>-slide.png``;
   shut JupyterLab down.

The copy is given its slide types (``tools.slide_metadata``) when the notebook lacks them. The whole run is
offline: the browser can only reach the local Jupyter server; every other request fails, and the test
fails if one was asked for, except remote images that the notebook's own markdown links (its Colab badge).

Exit status 0 on success; the last line says how long each step took.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import notebooks, slide_metadata
from .notebooks import ROOT

DEFAULT_NOTEBOOK = "lesson_1/1-rl_and_the_gymnasium_api.ipynb"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SETTINGS = {  # JupyterLab user settings for a quiet, read-only run
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},  # every cell in the DOM
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                          "checkForUpdates": False},
}
RISE_COMMAND = "RISE:slideshow"  # jupyterlab-rise: the current notebook as reveal.js slides in a new tab
URL = re.compile(r"https?://[^\s()<>\"'\]\[]+")
MATH = re.compile(r"\$\$|\$[^$\n]+\$|\\begin\{")
ERROR_LINE = re.compile(r"Traceback \(most recent call last\)|^\s*\w*(Error|Exception)\b.*$", re.M)


class SmokeFailure(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1 with a token, in temporary folders; a context manager."""

    def __init__(self, root: Path, work: Path, start_timeout: float):
        self.root, self.work, self.start_timeout = root, work, start_timeout
        self.port, self.token = free_port(), secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = work / "jupyterlab.log"

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(self.url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def __enter__(self):
        settings = self.work / "settings"
        for name, value in SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value))
        # JUPYTERLAB_SETTINGS_DIR: RISE's own page reads user settings from there, not from --LabApp.user_settings_dir
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(self.work / "runtime"),
                   JUPYTER_CONFIG_DIR=str(self.work / "config"), JUPYTERLAB_WORKSPACES_DIR=str(self.work / "ws"),
                   JUPYTERLAB_SETTINGS_DIR=str(settings))
        jupyter = Path(sys.executable).parent / "jupyter"
        cmd = [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}", "--ServerApp.allow_root=True",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={self.work / 'ws'}",
               "--LabApp.expose_app_in_browser=True"]  # window.jupyterapp: run JupyterLab commands by id
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=self.root)
        deadline = time.time() + self.start_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SmokeFailure(f"jupyter lab exited with {self.proc.returncode}; see {self.log_path}")
            try:
                self.api("/api/status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        raise SmokeFailure(f"jupyter lab did not answer within {self.start_timeout:.0f} s")

    def kernels_idle(self) -> bool:
        sessions = self.api("/api/sessions")
        return bool(sessions) and all(s["kernel"]["execution_state"] == "idle" for s in sessions)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            try:
                self.api("/api/shutdown", method="POST")
            except (urllib.error.URLError, OSError):
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self.log.close()


def prepare_root(notebook: Path, root: Path) -> str:
    """A copy of the notebook at its repository path under ``root``, with ``imgs`` linked beside it."""
    rel = notebook.resolve().relative_to(ROOT) if notebook.resolve().is_relative_to(ROOT) else Path(notebook.name)
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook, root / rel)
    if (ROOT / "imgs").is_dir():
        (root / "imgs").symlink_to(ROOT / "imgs", target_is_directory=True)
    return rel.as_posix()


def cell_states(page):
    """For every code cell on the page: (prompt text, [(mime type, text) of each output])."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell'))
        .map(cell => [
          (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
          Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(o =>
            [o.getAttribute('data-mime-type') || '', o.textContent || ''])
        ])""")


def code_cells(nb) -> list:
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def run(notebook: Path, chromium: str, timeout: float, screenshot: Path) -> dict:
    from playwright.sync_api import sync_playwright

    times = {}
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="browser-smoke-"))
    try:
        root = work / "root"
        rel = prepare_root(notebook, root)
        lacked_slide_types = add_slide_types(root / rel)
        with Lab(root, work, start_timeout=180) as lab:
            times["start JupyterLab"] = time.perf_counter() - t0
            with sync_playwright() as pw:
                context = pw.chromium.launch_persistent_context(
                    str(work / "chromium-profile"), executable_path=chromium, headless=True,
                    args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000},
                    proxy=Offline.proxy(), service_workers="block")
                offline = Offline(lab.url)
                offline.watch(context)
                try:
                    page = context.pages[0] if context.pages else context.new_page()
                    page.set_default_timeout(120_000)
                    t = time.perf_counter()
                    page.goto(f"{lab.url}/lab/tree/{rel}?token={lab.token}")
                    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", state="visible")
                    _wait(lambda: lab.kernels_idle(), 120, "the kernel did not start")
                    times["open notebook"] = time.perf_counter() - t
                    t = time.perf_counter()
                    try:
                        _run_all(page, lab, timeout)
                    finally:
                        screenshot.parent.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(screenshot))
                    times["run all cells"] = time.perf_counter() - t
                    _unfold_all(page)
                    states = cell_states(page)
                    figure = page.locator(".jp-OutputArea-output img").first
                    if figure.count():  # a second picture: the first figure, drawn in this run
                        figure.scroll_into_view_if_needed()
                        page.screenshot(path=str(screenshot.with_name(screenshot.stem + "-figure.png")))
                    t = time.perf_counter()
                    nb = notebooks.read(notebook)
                    shown = present(context, page, screenshot.with_name(screenshot.stem + "-slide.png"))
                    times["slideshow"] = time.perf_counter() - t
                finally:
                    context.close()
        times["total"] = time.perf_counter() - t0
        check(states, code_cells(nb))
        notes = check_slideshow(shown, notebook_title(nb), has_math(nb), offline.asked, offline.failed,
                                linked_urls(nb))
        if lacked_slide_types:
            notes.append(f"{notebook.name} has no slide types stored; the slideshow used tools.slide_metadata's "
                         "(make slide-metadata stores them)")
        return {"cells": len(states), "slides": shown["slides"], "notes": notes, "times": times}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def add_slide_types(path: Path) -> bool:
    """Store the slide types in the temporary copy, so that RISE has slides to show; True if they were missing."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    if not slide_metadata.stale_cells(nb):
        return False
    path.write_text(slide_metadata.dumps(slide_metadata.add_slide_metadata(nb)), encoding="utf-8")
    return True


class Offline:
    """A browser that reaches only the local Jupyter server, and a log of what else it asked for.

    ``proxy()`` sends every request but those to 127.0.0.1 to a proxy that nobody answers, so they fail in
    the browser's own network stack, as in a classroom without internet. (A
    Playwright route handler could abort them too, but with the sync API it runs only inside a
    Playwright call: while the test waits on the server, the page's requests stall and the kernel
    never starts.) ``asked`` lists (resource type, URL) of each request to another origin, ``failed``
    the URLs that failed.
    """

    def __init__(self, origin: str):
        self.origin, self.asked, self.failed = origin.rstrip("/"), [], set()

    @staticmethod
    def proxy() -> dict:
        return {"server": f"http://127.0.0.1:{free_port()}", "bypass": "127.0.0.1"}

    def local(self, url: str) -> bool:
        return url == self.origin or url.startswith((self.origin + "/", self.origin + "?", "data:", "blob:"))

    def watch(self, context):
        context.on("request", lambda r: None if self.local(r.url) else self.asked.append((r.resource_type, r.url)))
        context.on("requestfailed", lambda r: self.failed.add(r.url))


def notebook_title(nb: dict) -> str:
    """The text of the notebook's first ``#`` heading: what its first slide must show."""
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "markdown":
            heading = re.search(r"^#\s+(.+?)\s*$", source, re.M)
            if heading:
                return heading.group(1)
    return ""


def _markdown(nb: dict) -> str:
    return "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                     for c in nb.get("cells", []) if c.get("cell_type") == "markdown")


def has_math(nb: dict) -> bool:
    return bool(MATH.search(_markdown(nb)))


def linked_urls(nb: dict) -> set[str]:
    """Remote URLs written in the notebook's markdown (badges, links): content, not the slideshow's machinery."""
    return set(URL.findall(_markdown(nb)))


def present(context, page, screenshot: Path) -> dict:
    """Start RISE on the open notebook at its first cell; what the slideshow tab shows, and a screenshot of it."""
    try:  # JupyterLab sets window.jupyterapp once it has started, some time after the page shows
        page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    except Exception:
        raise SmokeFailure("window.jupyterapp is missing: JupyterLab was not started with expose_app_in_browser")
    commands = page.evaluate("() => window.jupyterapp.commands.listCommands()")
    if RISE_COMMAND not in commands:
        rise = [c for c in commands if c.startswith("RISE:")]
        raise SmokeFailure(f"JupyterLab has no command {RISE_COMMAND} (RISE commands: {rise or 'none'}); "
                           "is jupyterlab-rise from requirements.txt installed? (make install)")
    page.evaluate("() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0; }")
    with context.expect_page(timeout=60_000) as opened:
        page.evaluate(f"() => window.jupyterapp.commands.execute('{RISE_COMMAND}')")
    slides = opened.value
    slides.set_default_timeout(60_000)
    try:
        slides.wait_for_selector(".reveal .slides section.present", state="visible")
        slides.wait_for_load_state("networkidle")
        slides.evaluate("() => document.fonts.ready.then(() => true)")
        try:  # MathJax typesets after the slides are built; wait a little for its first formula
            slides.wait_for_selector(".reveal mjx-container", state="attached", timeout=15_000)
        except Exception:
            pass
        shown = slides.evaluate("""() => ({
            slides: document.querySelectorAll('.reveal .slides section').length,
            first: (document.querySelector('.reveal .slides section.present') || {}).textContent || '',
            math: document.querySelectorAll('.reveal mjx-container').length,
            hash: location.hash})""")
    finally:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        slides.screenshot(path=str(screenshot))
    slides.keyboard.press("ArrowRight")
    try:
        slides.wait_for_function(f"() => location.hash !== {json.dumps(shown['hash'])}", timeout=10_000)
        shown["moved"] = True
    except Exception:
        shown["moved"] = False
    shown["screenshot"] = screenshot
    return shown


def check_slideshow(shown: dict, title: str, math: bool, asked, failed: set[str], linked: set[str]) -> list[str]:
    """Raise SmokeFailure on what went wrong in the slideshow or offline; return notes on what may go offline."""
    problems, notes = [], []
    if not shown.get("slides"):
        problems.append("RISE showed no slide (no .reveal .slides section)")
    elif " ".join(title.split()).casefold() not in " ".join(shown.get("first", "").split()).casefold():
        problems.append(f"the first slide does not show the notebook's title {title!r}: "
                        f"{' '.join(shown.get('first', '').split())[:120]!r}")
    if math and not shown.get("math"):
        problems.append("the notebook has math but the slideshow typeset none (MathJax did not run)")
    if shown.get("slides") and not shown.get("moved"):
        problems.append("the right arrow key did not move the slideshow to the next slide")
    for kind, url in sorted(set(asked)):
        if url not in failed:
            problems.append(f"{url} ({kind}) did not fail: the browser was not offline")
        elif url in linked:
            notes.append(f"offline, the notebook's own link {url} ({kind}) does not load")
        else:
            problems.append(f"the browser asked for {url} ({kind}); offline it must come from the local Jupyter server")
    if problems:
        raise SmokeFailure("\n".join(problems))
    return notes


def _wait(condition, timeout: float, message: str, interval: float = 0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(interval)
    raise SmokeFailure(message)


def _menu(page, menu: str, item: str):
    page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{menu}$")).click()
    page.locator(".lm-Menu-item:not(.lm-mod-disabled)", has_text=re.compile(rf"^{item}")).first.click()


def _run_all(page, lab, timeout: float):
    # clear the stored outputs first, so that a number in a prompt afterwards proves this run produced it
    _menu(page, "Edit", "Clear Outputs of All Cells")
    _wait(lambda: not any(re.search(r"\d", p) for p, _ in cell_states(page)), 30,
          "Edit > Clear Outputs of All Cells left execution counts on the page")
    _menu(page, "Run", "Run All Cells")
    # every queued cell shows [*] until it has run; done = no [*] left and the kernel idle twice in a row
    start = time.time()
    idle_streak = 0
    while time.time() - start < timeout:
        prompts = [p for p, _ in cell_states(page)]
        busy = any("*" in p for p in prompts)
        idle_streak = idle_streak + 1 if (not busy and lab.kernels_idle()) else 0
        if idle_streak >= 3 and time.time() - start > 2:
            return
        time.sleep(1)
    raise SmokeFailure(f"the notebook did not finish within {timeout:.0f} s")


def _unfold_all(page):
    """Show the folded cells (the reference solutions: source and outputs hidden) as a student who opens them."""
    _menu(page, "View", "Expand All Code")
    _menu(page, "View", "Expand All Outputs")
    _wait(lambda: not page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Placeholder").count(), 30,
          "View > Expand All Code and Expand All Outputs left folded cells on the page")


def check(states, cells):
    """Every code cell on the page ran once, in order, and shows no error unless nbval expects one."""
    problems = []
    if len(states) != len(cells):
        problems.append(f"the page shows {len(states)} code cells, the notebook has {len(cells)}")
    expected = 1
    for i, ((prompt, outputs), cell) in enumerate(zip(states, cells)):
        count = re.search(r"\[(\d+)\]", prompt)
        if not notebooks.text(cell["source"]).strip():
            continue
        if not count:
            problems.append(f"code cell {i + 1} did not run (prompt {prompt.strip()!r})")
            continue
        if int(count.group(1)) != expected:
            problems.append(f"code cell {i + 1} ran as [{count.group(1)}], expected [{expected}]")
        expected = int(count.group(1)) + 1
        may_raise = notebooks.may_raise(cell)
        for mime, text in outputs:
            if mime == "application/vnd.jupyter.stderr" and ERROR_LINE.search(text) and not may_raise:
                first = ERROR_LINE.search(text).group(0).strip()
                problems.append(f"code cell {i + 1} shows an error: {first[:160]}")
            elif mime == "application/vnd.jupyter.stderr" and text.strip():
                print(f"note: code cell {i + 1} wrote to stderr: {text.strip()[:160]}", file=sys.stderr)
    if not states:
        problems.append("no code cells were found on the page")
    if problems:
        raise SmokeFailure("\n".join(problems))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebook", default=DEFAULT_NOTEBOOK, type=Path)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for Run All (default 600)")
    parser.add_argument("--screenshot", type=Path, default=None,
                        help="PNG to write (default build/browser/<notebook name>.png)")
    args = parser.parse_args(argv)
    notebook = args.notebook if args.notebook.is_absolute() else ROOT / args.notebook
    if not notebook.is_file():
        print(f"no such notebook: {args.notebook}", file=sys.stderr)
        return 2
    if not Path(args.chromium).exists():
        print(f"no Chromium at {args.chromium} (apt-get install -y chromium)", file=sys.stderr)
        return 2
    screenshot = args.screenshot or ROOT / "build" / "browser" / (notebook.stem + ".png")
    try:
        result = run(notebook, args.chromium, args.timeout, screenshot)
    except SmokeFailure as failure:
        print(f"FAILED {args.notebook}:\n{failure}\nscreenshot: {screenshot}", file=sys.stderr)
        return 1
    times = ", ".join(f"{k} {v:.1f} s" for k, v in result["times"].items())
    for note in result["notes"]:
        print(f"note: {note}", file=sys.stderr)
    shot = screenshot.relative_to(ROOT) if screenshot.is_relative_to(ROOT) else screenshot
    print(f"ok {args.notebook}: {result['cells']} code cells ran without errors in JupyterLab + Chromium, "
          f"RISE presented it as {result['slides']} slides, all offline ({times}); "
          f"screenshots: {shot}, {shot.with_name(shot.stem + '-slide.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
