"""Check for Lesson 3.4's exercise: what an EnvRunner's outage cost, read from the training results.

``outage_report(results)`` gets the results of one run, the first from before an EnvRunner died, the
rest until RLlib reported every EnvRunner healthy again, and returns the iteration at which all
were back, how many iterations trained with fewer, and how many env steps those iterations sampled
beyond as many normal ones. The check compares the answer with ``reference_outage_report`` on the
lesson's results and on a made-up run with three EnvRunners (so that an answer that assumes two fails).
"""
from __future__ import annotations

from rllib_course import exercise

KEYS = ("back_at", "outage_iterations", "extra_env_steps")


def _healthy(result) -> int:
    return result["fault_tolerance"]["num_healthy_workers"]


def _steps(result) -> int:
    return int(result["env_runners"]["num_env_steps_sampled"])


def reference_outage_report(results: list) -> dict:
    """The answer the check expects (the exercise's reference solution is written independently)."""
    normal, outage, back_at = _healthy(results[0]), [], None
    for result in results[1:]:
        if _healthy(result) < normal:
            outage.append(result)
        else:
            back_at = result["training_iteration"]
            break
    return {"back_at": back_at, "outage_iterations": len(outage),
            "extra_env_steps": sum(_steps(result) for result in outage) - len(outage) * _steps(results[0])}


def _made_up(healthy: list[int], steps: list[int], first_iteration: int = 10) -> list[dict]:
    return [{"training_iteration": first_iteration + i, "fault_tolerance": {"num_healthy_workers": h},
             "env_runners": {"num_env_steps_sampled": s}} for i, (h, s) in enumerate(zip(healthy, steps))]


# Three EnvRunners, one dies, then a second one too, and both come back: back at 14, 3 outage iterations,
# 1200 + 1350 + 1200 - 3 * 900 = 1050 extra env steps.
MADE_UP = _made_up([3, 2, 1, 2, 3], [900, 1200, 1350, 1200, 900])


def check_outage_report(fn, results: list, strict: bool = False) -> bool:
    """``results``: the result before the kill, then those until RLlib reported every EnvRunner healthy."""
    def attempt():
        for name, run in (("section 6's results", results), ("a made-up run with three EnvRunners", MADE_UP)):
            answer = fn(run)
            assert isinstance(answer, dict) and set(answer) == set(KEYS), (
                f"return a dict with the keys {list(KEYS)}, got {answer!r} for {name}")
            expected = reference_outage_report(run)
            for key in KEYS:
                assert answer[key] == expected[key], f"{key}: you said {answer[key]!r} for {name}, expected {expected[key]!r}"
    return exercise.check("what the outage cost", attempt, strict=strict)
