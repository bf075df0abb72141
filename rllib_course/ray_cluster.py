"""A Ray cluster started the way one starts it on real machines: ``ray start --head``, then ``ray start --address=...``.

Every node is a ``ray start`` of its own, with its own raylet and its own CPUs, here all on this
machine. ``RayCluster`` keeps the commands, so a lesson can print what a user would type on each
machine, and it keeps the cluster to itself:

* **its own folder** (``--temp-dir``): the session's logs, sockets and the address record
  (``ray_current_cluster``) live there, so a plain ``ray.init()`` elsewhere on the machine never
  finds and joins this cluster;
* **its own ports**, free ones chosen when it starts (the GCS port, the dashboard's, each node's
  agents'), so it clashes neither with a local ``ray.init()`` nor with another such cluster;
* **one authentication mode** for every node and the driver: this process's ``RAY_AUTH_MODE``
  (``disabled`` when unset, as for a driver that connects without it); a node or driver that
  joins with another mode, or in token mode without the cluster's token, is refused. In token mode
  a head needs a token before it starts: when this machine has none (``RAY_AUTH_TOKEN``, the file
  ``RAY_AUTH_TOKEN_PATH`` names, ``~/.ray/auth_token``), ``start()`` first runs
  ``ray get-auth-token --generate`` with ``HOME`` pointed at a temporary folder of its own, so the
  token lands in ``<that folder>/.ray/auth_token`` and not in the user's ``~/.ray/auth_token`` (a
  file there would switch every later ``ray start --head`` on the machine into token mode); it then
  sets ``RAY_AUTH_TOKEN_PATH`` in this process, which the nodes, the driver and its subprocesses
  read. The folder is removed when Python exits;
* **its own processes only are stopped**: ``stop()`` ends the processes that name the cluster's
  folder, by process id, and their children. ``ray stop`` would end *every* Ray of this user on
  the machine, other notebooks' included.

``stop()`` runs when the ``with`` block ends, when the Python process exits (``atexit``), and after
a failed start; a start that times out on a busy machine is retried (``with_startup_retries``).
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rllib_course.ray_start import OBJECT_STORE_BYTES, with_startup_retries

START_TIMEOUT_S = 120


def free_port() -> int:
    """A TCP port that no program listens on right now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ray_executable() -> str:
    """The ``ray`` command of this Python's environment (the course's ``.venv``), not another one on PATH."""
    candidate = Path(sys.executable).with_name("ray")
    return str(candidate) if candidate.exists() else (shutil.which("ray") or "ray")


def has_auth_token() -> bool:
    """Whether Ray finds an authentication token here: ``RAY_AUTH_TOKEN``, the file ``RAY_AUTH_TOKEN_PATH`` names, or ``~/.ray/auth_token``."""
    if os.environ.get("RAY_AUTH_TOKEN", "").strip():
        return True
    path = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")
    try:
        return bool(path.read_text().strip())
    except OSError:
        return False


_token_dir: str | None = None


def _remove_token_dir() -> None:
    if _token_dir:
        shutil.rmtree(_token_dir, ignore_errors=True)


def make_private_auth_token() -> Path:
    """Generate a token with ``ray get-auth-token --generate`` in a temporary folder; point ``RAY_AUTH_TOKEN_PATH`` at it.

    The ``ray`` command writes its token to ``~/.ray/auth_token``, ``~`` being ``HOME``; run with ``HOME`` set to
    a fresh folder, it leaves the user's home alone. One token serves every cluster this process starts (the
    driver's Ray reads the token once), and the folder is removed when Python exits.
    """
    global _token_dir
    if _token_dir is None:
        _token_dir = tempfile.mkdtemp(prefix="ray_auth_")
        atexit.register(_remove_token_dir)
    env = {key: value for key, value in os.environ.items() if key not in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")}
    subprocess.run([_ray_executable(), "get-auth-token", "--generate"], capture_output=True, text=True,
                   timeout=START_TIMEOUT_S, check=True, env=dict(env, HOME=_token_dir))
    path = Path(_token_dir, ".ray", "auth_token")
    os.environ["RAY_AUTH_TOKEN_PATH"] = str(path)
    return path


def _check_int(name: str, value, minimum: int) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= minimum):
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")


class RayCluster:
    """A head node and ``num_workers`` worker nodes, ``cpus_per_node`` CPUs each, started with the ``ray`` CLI.

    >>> with RayCluster(num_workers=1, cpus_per_node=1) as cluster:   # doctest: +SKIP
    ...     ray.init(address=cluster.address)

    ``address`` is the head's GCS address (``host:port``), what ``ray start --address`` and
    ``ray.init(address=...)`` take. ``commands`` holds the ``ray start`` calls, one per node.
    """

    def __init__(self, num_workers: int = 1, cpus_per_node: int = 1, object_store_bytes: int = OBJECT_STORE_BYTES):
        _check_int("num_workers", num_workers, 0)
        _check_int("cpus_per_node", cpus_per_node, 1)
        _check_int("object_store_bytes", object_store_bytes, 1)
        self.num_workers, self.cpus_per_node, self.object_store_bytes = num_workers, cpus_per_node, object_store_bytes
        self.temp_dir: str | None = None
        self.address: str | None = None
        self.commands: list[list[str]] = []
        self._stopped = True

    # --- starting ---
    def _node_command(self, head: bool) -> list[str]:
        if head:
            role = ["--head", "--port", str(free_port()), "--include-dashboard", "false",
                    "--dashboard-port", str(free_port()), "--no-monitor"]
        else:
            role = ["--address", self.address]
        return [_ray_executable(), "start", *role, "--num-cpus", str(self.cpus_per_node),
                "--object-store-memory", str(self.object_store_bytes),
                "--temp-dir", self.temp_dir, "--disable-usage-stats", "--include-log-monitor", "false",
                "--dashboard-agent-listen-port", str(free_port()), "--dashboard-agent-grpc-port", str(free_port()),
                "--runtime-env-agent-port", str(free_port()), "--metrics-export-port", str(free_port())]

    def _run(self, command: list[str]) -> None:
        self.commands.append(command)
        # Ray 2.60 turns token authentication on for a head started without RAY_AUTH_MODE when a token exists
        # already, while a worker node or a driver given an address without it connects with authentication off
        # and is refused. Every node gets the mode this process has (read by Ray when it is imported): set
        # RAY_AUTH_MODE=token before `import ray`.
        env = dict(os.environ, RAY_AUTH_MODE=os.environ.get("RAY_AUTH_MODE") or "disabled")
        done = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT_S, env=env)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            role = "ray start --head" if "--head" in command else "ray start --address"
            raise RuntimeError(f"`{role}` failed (exit status {done.returncode}):\n{tail}")

    def start(self) -> "RayCluster":
        """Start the head node, then the worker nodes; return self once every node has joined."""
        if not self._stopped:
            raise RuntimeError(f"this cluster is already running at {self.address}")

        def attempt():
            # A short folder: Ray's Unix socket paths live under it and must stay below ~107 characters.
            self.temp_dir = tempfile.mkdtemp(prefix="raycl_", dir="/tmp" if os.path.isdir("/tmp") else None)
            self.commands, self._stopped = [], False
            atexit.register(self.stop)
            if os.environ.get("RAY_AUTH_MODE", "").lower() == "token" and not has_auth_token():
                # `ray start --head` in token mode does not create a token (`ray.init()` would): make one first,
                # in a folder of our own rather than ~/.ray/auth_token.
                make_private_auth_token()
            self._run(self._node_command(head=True))
            self.address = Path(self.temp_dir, "ray_current_cluster").read_text().strip()
            for _ in range(self.num_workers):
                self._run(self._node_command(head=False))
            return self

        return with_startup_retries(attempt, self.stop)

    def __enter__(self) -> "RayCluster":
        return self.start() if self._stopped else self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- what it runs ---
    @property
    def session_dir(self) -> Path:
        """The session folder of this cluster (``<temp_dir>/session_<date>_<pid>``): logs, sockets."""
        if self.temp_dir is None:
            raise RuntimeError("the cluster has not been started")
        return Path(self.temp_dir, "session_latest").resolve()

    def processes(self) -> list:
        """The live processes of this cluster: those naming its folder, and their descendants (workers, agents)."""
        import psutil

        if self.temp_dir is None:
            return []
        found = {}
        for proc in psutil.process_iter(["pid", "cmdline"]):
            if self.temp_dir in " ".join(proc.info["cmdline"] or ()):
                found[proc.pid] = proc
                try:
                    found.update({child.pid: child for child in proc.children(recursive=True)})
                except psutil.Error:
                    pass
        found.pop(os.getpid(), None)  # a driver connected to the cluster is not one of its processes
        return list(found.values())

    def command_lines(self) -> list[str]:
        """The ``ray start`` calls, as a user types them: ``ray`` for the full path, placeholders for ports and folder."""
        import re

        lines = []
        for command in self.commands:
            line = " ".join(["ray", *command[1:]]).replace(self.temp_dir or "\0", "<folder>")
            line = re.sub(r"(--[a-z-]*port) \d+", r"\1 <free port>", line)
            lines.append(line.replace(self.address or "\0", "<head address>"))
        return lines

    def log_lines(self, containing: str) -> list[str]:
        """Lines holding ``containing`` in the stdout files of the cluster's workers (``logs/worker-*.out``), every node."""
        found = []
        for path in sorted(self.session_dir.joinpath("logs").glob("worker-*.out")):
            found += [line for line in path.read_text(errors="replace").splitlines() if containing in line]
        return found

    def raylets(self) -> list:
        """The raylet processes of this cluster: one per node."""
        return [proc for proc in self.processes() if _name(proc) == "raylet"]

    # --- stopping ---
    def stop(self, timeout_s: float = 5.0) -> None:
        """Disconnect a driver connected to this cluster, end its processes by id, remove its folder."""
        import psutil

        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        try:
            import ray

            if ray.is_initialized() and self.address and _connected_address() == self.address:
                ray.shutdown()
        except ImportError:  # pragma: no cover - ray is what started the cluster
            pass
        procs = self.processes()
        for sig, wait in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 5.0)):
            for proc in procs:
                try:
                    proc.send_signal(sig)
                except psutil.Error:
                    pass
            _, procs = psutil.wait_procs(procs, timeout=wait)
            if not procs:
                break
        if self.temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def _name(proc) -> str:
    try:
        return proc.name()
    except Exception:  # noqa: BLE001 - a process that ended meanwhile
        return ""


def _connected_address() -> str | None:
    import ray

    try:
        return ray.get_runtime_context().gcs_address
    except Exception:  # noqa: BLE001 - not connected
        return None


def leftover_raylets(temp_prefix: str = "/tmp/raycl_") -> list[int]:
    """Process ids of raylets that a ``RayCluster`` started and nobody stopped (their folder is in the command)."""
    import psutil

    pids = []
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        if proc.info["name"] == "raylet" and temp_prefix in " ".join(proc.info["cmdline"] or ()):
            pids.append(proc.pid)
    return pids


def machine_resources() -> dict:
    """What this machine gives a cluster started on it: CPUs and memory, as Ray would detect them.

    ``cpus``: the CPUs this process may run on (``available_cpus``: its affinity mask, which containers
    and ``taskset`` narrow). ``memory_gb``: the machine's memory (``psutil``), or the container's
    limit when one is set and smaller (cgroup v2 ``memory.max`` or v1 ``memory.limit_in_bytes``),
    the rule ``ray._common.utils.get_system_memory`` follows. ``limited``: whether such a limit applied.
    """
    import psutil

    from rllib_course.ray_start import available_cpus

    total = psutil.virtual_memory().total
    limit = None
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        limit = int(text) if text.isdigit() else None  # "max": no limit
        break
    memory = min(total, limit) if limit else total
    return {"cpus": available_cpus(), "memory_gb": memory / 1e9, "limited": memory < total}


def process_memory_gb(pids) -> float:
    """The memory of the processes ``pids`` together, in GB: their PSS (shared pages split among the processes
    that share them; RSS where the system has no PSS). A process that ended meanwhile counts 0."""
    import psutil

    from rllib_course.scaling import memory_of

    processes = []
    for pid in pids:
        try:
            processes.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    return memory_of(processes)["pss"] / 1e9


def wait_for_nodes(count: int, timeout_s: float = 60.0) -> list[dict]:
    """Wait until the connected cluster has ``count`` live nodes; return them (``ray.nodes()`` entries)."""
    import ray

    deadline = time.monotonic() + timeout_s
    while True:
        alive = [node for node in ray.nodes() if node["Alive"]]
        if len(alive) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if len(alive) < count:
        raise TimeoutError(f"only {len(alive)} of {count} nodes joined within {timeout_s} s")
    return alive
