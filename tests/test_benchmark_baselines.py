"""benchmarks/baselines.py and the baseline side of benchmarks/learning.py: every rule next to the bound."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")

import commenv  # noqa: E402
from benchmarks import baselines, learning  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EVERY = [*commenv.all_baselines(), *commenv.strong_baselines()]


def test_the_table_scores_every_baseline_against_the_bound(capsys):
    figures = baselines.main(["--episodes", "2", "--tuning-episodes", "1"])
    out = capsys.readouterr().out
    assert set(EVERY) | {"buffer weighted w=3", "buffer weighted w=5", "random"} == set(figures["returns"])
    for name, value in figures["returns"].items():
        assert f"{name:<22}{value:12.2f}{value / figures['bound']:10.1%}" in out
        assert value <= figures["bound"]
    assert f"{'clairvoyant LP bound':<22}{figures['bound']:12.2f}" in out
    # The sweep ran on the tuning seeds, and both tuned defaults are among the swept values.
    assert f"from seed {baselines.TUNING_SEED}" in out
    assert set(figures["sweep"]["buffer weighted, weight"]) == set(baselines.WEIGHTS)
    assert commenv.BufferWeighted.DEFAULT_WEIGHT in baselines.WEIGHTS
    assert commenv.ExpPF.DEFAULT_TARGET_TTI in baselines.TARGETS


def test_the_delay_critical_table_includes_the_exercise_rule_and_tunes_every_rule(capsys):
    figures = baselines.main(["--episodes", "2", "--tuning-episodes", "1", "--cell", "delay-critical"])
    out = capsys.readouterr().out
    exercise = f"exercise rule w={baselines.EXERCISE_WEIGHTS['delay-critical']:g}"
    assert set(EVERY) | {exercise, "random"} == set(figures["returns"])
    assert all(value <= figures["bound"] for value in figures["returns"].values())
    swept = figures["sweep"]
    assert set(swept["buffer weighted, (weight, deadline weight)"]) == set(baselines.DEADLINE_WEIGHTS)
    assert commenv.BufferWeighted.TUNED_FOR_DEADLINES in baselines.DEADLINE_WEIGHTS
    assert baselines.EXERCISE_WEIGHTS["delay-critical"] in swept["exercise rule (fill only), weight"]
    assert commenv.MLWDF.TUNED_FOR_DEADLINES in swept["M-LWDF, delta"]
    assert commenv.ExpPF.TUNED_FOR_DEADLINES in swept["EXP/PF, delta"]
    assert "delay-critical cell" in out and "-> best (" in out


def test_the_paired_difference_is_a_t_interval_over_episodes():
    ours, theirs = np.array([3.0, 5.0, 4.0, 6.0]), np.array([1.0, 2.0, 2.0, 3.0])
    mean, low, high = learning.paired_difference(ours, theirs)
    diff = ours - theirs
    half = 3.182446305284263 * diff.std(ddof=1) / 2  # t(0.975, 3 degrees of freedom), sqrt(4) episodes
    assert mean == pytest.approx(2.5) and (low, high) == pytest.approx((2.5 - half, 2.5 + half))
    assert learning.difference_text(mean, low, high) == f"+2.50 (95% CI {low:+.2f} to {high:+.2f})"
    with pytest.raises(ValueError, match="at least 2 episodes, got 1"):
        learning.paired_difference([1.0], [0.0])


def test_tuning_and_held_out_episodes_never_overlap():
    assert baselines.TUNING_SEED >= baselines.HELD_OUT_SEED + 1000


def test_the_learning_summary_names_ppo_every_baseline_and_the_bound():
    returns = {name: 150.0 + i for i, name in enumerate(EVERY)}
    line = learning.summary_line("course", [170.0, 180.0, 175.0], returns, 200.0, "buffer weighted",
                                 [(18_000, 15.0), (22_000, 19.0)])
    assert line.startswith("median over 3 seeds (course module): PPO 175.00 (87.5% of bound), round robin 150.00")
    for name, value in returns.items():
        assert f", {name} {value:.2f} ({value / 200:.1%} of bound)" in line
    assert line.endswith("LP bound 200.00; 2/3 seeds reached buffer weighted (median 20000 env steps, 17.0 s)")
    assert learning.summary_line("course", [1.0], returns, 200.0, "x", []).endswith("0/1 seeds reached x")


def test_the_learning_benchmark_starts_without_ray():
    code = "import sys, benchmarks.learning; print(sorted(m for m in ('ray', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"
    usage = subprocess.run([sys.executable, "-m", "benchmarks.learning", "--help"], capture_output=True, text=True,
                           check=True, cwd=ROOT).stdout
    assert "--iterations" in usage and "--module" in usage and "--cell" in usage


def test_the_sequential_module_needs_the_delay_critical_cell():
    done = subprocess.run([sys.executable, "-m", "benchmarks.learning", "--module", "sequential", "--cell", "default"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "--module sequential reads the deadline features: it needs --cell delay-critical" in done.stderr
