"""How a PPO config scales on this machine: env steps per second, CPU per step and memory per layout.

Lesson 3 compares layouts of the same config (``num_env_runners`` x ``num_envs_per_env_runner``).
Each layout costs a fresh Algorithm (new EnvRunner actors), a warm-up iteration and a timed one,
plus bookkeeping that is not the lesson: counting the CPUs the layout's actors reserve (RLlib
waits forever for CPUs that Ray lacks, so a layout that needs too many is skipped, with the
reason), the CPU time the sampling processes spend, and the memory of the driver plus every Ray
process it started. That bookkeeping lives here so the notebook keeps the table and the plot.
"""
from __future__ import annotations

import time
import warnings

import psutil


def memory_of(processes) -> dict:
    """RSS and PSS of these ``psutil`` processes together, in bytes; one that ended meanwhile (or that we
    may not read) counts 0. PSS exists on Linux only; elsewhere it falls back to RSS."""
    rss = pss = 0
    for proc in processes:
        try:
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return {"rss": rss, "pss": pss}


def process_tree_memory_mb(pid: int | None = None) -> dict:
    """Memory of process ``pid`` (default: this one) and all its descendants, in MB.

    ``ray.init`` starts Ray's services as children of the driver, and EnvRunner actors as
    children of the raylet, so the tree of a notebook's kernel holds every process it costs.
    ``rss`` counts shared pages (torch's libraries) once per process; ``pss`` shares them out
    and is the better estimate of what the machine really gives up.
    """
    root = psutil.Process(pid)
    used = memory_of([root, *root.children(recursive=True)])
    return {"rss": used["rss"] / 1e6, "pss": used["pss"] / 1e6}


def resource_request(config) -> dict:
    """CPUs and GPUs that ``config.build_algo()`` reserves for its actors: ``{"CPU": ..., "GPU": ...}``.

    Actors are the remote EnvRunners, the evaluation EnvRunners and the remote Learners. Read from
    RLlib's own ``Algorithm.default_resource_request``, whose first bundle is the driver's. That
    one is reserved only when Ray Tune runs the Algorithm, so it is left out.
    """
    bundles = config.algo_class.default_resource_request(config).bundles
    return {kind: float(sum(bundle.get(kind, 0) for bundle in bundles[1:])) for kind in ("CPU", "GPU")}


def actor_cpus(config) -> float:
    """CPUs that ``config.build_algo()`` reserves for actors (see ``resource_request``)."""
    return resource_request(config)["CPU"]


def sampling_cpu_s(algo) -> float:
    """CPU seconds used so far by the processes that sample: the remote EnvRunners, else the driver."""
    group = algo.env_runner_group
    if group.num_remote_env_runners() == 0:
        return time.process_time()  # the local EnvRunner samples inside this process
    return float(sum(group.foreach_env_runner(lambda runner: time.process_time(), local_env_runner=False)))


def measure_throughput(config, num_env_runners: int, num_envs_per_env_runner: int, cpus: float,
                       probe=None) -> dict:
    """Build ``config`` with this layout, train one warm-up and one timed iteration, then time one sample.

    Returns the layout and

    * ``build_s``: seconds to build the Algorithm (starting its EnvRunner actors);
    * ``train_steps_per_s``: env steps per second of a whole ``train()`` iteration (sample, update, sync);
    * ``sample_steps_per_s``: env steps per second of the sampling phase alone
      (``synchronous_parallel_sample``, the call ``PPO.training_step`` makes);
    * ``cpu_ms_per_step``: CPU milliseconds the sampling processes spent per env step in that sample,
      a cost that does not depend on how busy the machine is;
    * ``cores_busy``: CPU seconds of the sampling processes per second of that sample, so that
      ``sample_steps_per_s == cores_busy * 1000 / cpu_ms_per_step``;
    * ``memory_gb``: PSS of this process and all its descendants (every Ray process) with the layout built.

    ``probe(algo)``, if given, is called on the built Algorithm before it stops; what it returns is
    in ``probe``. A layout whose actors need more than ``cpus`` CPUs is not built (RLlib would
    wait forever): its row says why in ``skipped``.
    """
    from ray.rllib.execution.rollout_ops import synchronous_parallel_sample

    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (num_env_runners, num_envs_per_env_runner)) \
            or num_env_runners < 0 or num_envs_per_env_runner < 1:
        raise ValueError(f"num_env_runners={num_env_runners!r} must be an integer >= 0 and "
                         f"num_envs_per_env_runner={num_envs_per_env_runner!r} an integer >= 1")
    layout = config.copy(copy_frozen=False).env_runners(num_env_runners=num_env_runners,
                                                        num_envs_per_env_runner=num_envs_per_env_runner)
    row = {"num_env_runners": num_env_runners, "num_envs_per_env_runner": num_envs_per_env_runner}
    needed = actor_cpus(layout)
    if needed > cpus:
        return {**row, "skipped": f"needs {needed:g} CPUs for its actors, Ray has {cpus:g}"}
    start = time.perf_counter()
    with warnings.catch_warnings():  # a second local EnvRunner re-registers RLlib's gymnasium id, and says so
        warnings.filterwarnings("ignore", message=".*Overriding environment", category=UserWarning)
        algo = layout.build_algo()
    try:
        row["build_s"] = time.perf_counter() - start
        algo.train()  # warm-up: first forward and backward passes, connector pipelines
        start = time.perf_counter()
        steps = algo.train()["env_runners"]["num_env_steps_sampled"]
        row["train_steps_per_s"] = float(steps / (time.perf_counter() - start))
        cpu_start, start = sampling_cpu_s(algo), time.perf_counter()
        episodes = synchronous_parallel_sample(worker_set=algo.env_runner_group,
                                               max_env_steps=algo.config.total_train_batch_size,
                                               _uses_new_env_runners=True)
        elapsed, cpu = time.perf_counter() - start, sampling_cpu_s(algo) - cpu_start
        steps = sum(len(episode) for episode in episodes)
        row["sample_steps_per_s"] = steps / elapsed
        row["cpu_ms_per_step"] = 1e3 * cpu / steps
        row["cores_busy"] = cpu / elapsed
        row["memory_gb"] = process_tree_memory_mb()["pss"] / 1e3
        if probe is not None:
            row["probe"] = probe(algo)
    finally:
        algo.stop()
    return row


def format_rows(rows: list[dict]) -> str:
    """Plain-text table of ``measure_throughput`` rows; skipped layouts show their reason."""
    columns = [("build_s", "build s", "{:.1f}"), ("sample_steps_per_s", "sample steps/s", "{:.0f}"),
               ("train_steps_per_s", "train steps/s", "{:.0f}"), ("cpu_ms_per_step", "CPU ms/step", "{:.2f}"),
               ("cores_busy", "cores busy", "{:.2f}"), ("memory_gb", "memory GB", "{:.2f}")]
    lines = ["runners x envs" + "".join(title.rjust(15) for _, title, _ in columns)]
    for row in rows:
        name = f"{row['num_env_runners']} x {row['num_envs_per_env_runner']}".ljust(14)
        if "skipped" in row:
            lines.append(f"{name}  skipped: {row['skipped']}")
        else:
            lines.append(name + "".join(fmt.format(row[key]).rjust(15) for key, _, fmt in columns))
    return "\n".join(lines)


def plot_throughput(rows: list[dict]):
    """Bars per measured layout: env steps/s of sampling and of whole iterations, and memory; returns the figure."""
    import matplotlib.pyplot as plt
    import numpy as np

    rows = [row for row in rows if "skipped" not in row]
    names = [f"{row['num_env_runners']} x {row['num_envs_per_env_runner']}" for row in rows]
    x = np.arange(len(rows))
    fig, (ax_speed, ax_memory) = plt.subplots(1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [2, 1]})
    ax_speed.bar(x - 0.2, [row["sample_steps_per_s"] for row in rows], 0.4, label="sampling only")
    ax_speed.bar(x + 0.2, [row["train_steps_per_s"] for row in rows], 0.4, label="whole iteration")
    ax_speed.set_ylabel("env steps per second")
    ax_speed.legend(fontsize="small")
    ax_memory.bar(x, [row["memory_gb"] for row in rows], 0.5, color="tab:gray")
    ax_memory.set_ylabel("memory, GB (all processes)")
    for ax in (ax_speed, ax_memory):
        ax.set_xticks(x)
        ax.set_xticklabels(names)
        ax.set_xlabel("num_env_runners x num_envs_per_env_runner")
    fig.tight_layout()
    return fig
