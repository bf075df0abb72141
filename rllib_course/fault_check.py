"""Check for Lesson 3.4's exercise: the fault-tolerance counters of a training result.

The answer for the last result must match what RLlib's ``EnvRunnerGroup`` counted itself
(``num_healthy_remote_env_runners()``, ``num_remote_worker_restarts()``,
``num_env_runners_dropped_lifetime()``, read from the live Algorithm); the answer for the first
result after the kill must say that one EnvRunner was missing.
"""
from __future__ import annotations

from rllib_course import exercise

KEYS = ("healthy", "restored", "dropped")


def group_counts(algo) -> dict:
    """What the EnvRunnerGroup of ``algo`` counts itself, under the exercise's keys."""
    group = algo.env_runner_group
    return {"healthy": group.num_healthy_remote_env_runners(), "restored": group.num_remote_worker_restarts(),
            "dropped": group.num_env_runners_dropped_lifetime()}


def check_fault_report(fn, results: list, live_counts: dict, num_env_runners: int = 2, strict: bool = False) -> bool:
    """``results``: the result before the kill, then those until RLlib reported every EnvRunner healthy."""
    def attempt():
        answers = [fn(result) for result in results]
        for i, answer in enumerate(answers):
            assert isinstance(answer, dict) and set(answer) == set(KEYS), (
                f"return a dict with the keys {list(KEYS)}, got {answer!r} for result {i}")
        assert answers[-1] == live_counts, (
            f"for the last result you said {answers[-1]}, RLlib's EnvRunnerGroup counts {live_counts}")
        assert answers[0]["healthy"] == num_env_runners, (
            f"before the kill all {num_env_runners} EnvRunners were healthy; you said {answers[0]['healthy']}")
        if len(answers) > 1:
            assert answers[1]["healthy"] == num_env_runners - 1, (
                f"right after the kill one EnvRunner was missing; you said {answers[1]['healthy']} healthy")
    return exercise.check("fault-tolerance counters", attempt, strict=strict)
