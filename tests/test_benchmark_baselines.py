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
    line = learning.summary_line("course module, greedy decoding", [170.0, 180.0, 175.0], returns, 200.0, "buffer weighted",
                                 [(18_000, 15.0), (22_000, 19.0)])
    assert line.startswith("median over 3 seeds (course module, greedy decoding): PPO 175.00 (87.5% of bound), round robin 150.00")
    for name, value in returns.items():
        assert f", {name} {value:.2f} ({value / 200:.1%} of bound)" in line
    assert line.endswith("LP bound 200.00; 2/3 seeds reached buffer weighted (median 20000 env steps, 17.0 s)")
    assert learning.summary_line("course", [1.0], returns, 200.0, "x", []).endswith("0/1 seeds reached x")


@pytest.mark.parametrize("env_config, classes", [(commenv.DELAY_CRITICAL, ["delay-critical", "best effort"]),
                                                 ({}, ["best effort"])])
def test_class_loss_shares_add_up_to_the_episodes_losses(env_config, classes):
    rule = commenv.BufferWeighted(1.0, None)
    shares = learning.class_loss_shares(learning.play_episodes(rule, 2, env_config), env_config)
    assert list(shares) == classes
    env = commenv.make_env(env_config)
    critical = env.unwrapped.critical
    runs = [commenv.run_episode(rule, env, baselines.HELD_OUT_SEED + i) for i in range(2)]
    lost, arrived = sum(r["dropped"] for r in runs), sum(r["arrived"] for r in runs)
    assert shares["best effort"] == pytest.approx(lost[~critical].sum() / arrived[~critical].sum())
    if critical.any():
        assert shares["delay-critical"] == pytest.approx(lost[critical].sum() / arrived[critical].sum())
        # Round robin ignores deadlines, so its delay-critical users lose more than under a deadline-aware rule.
        def critical_loss(rule):
            return learning.class_loss_shares(learning.play_episodes(rule, 2, env_config), env_config)["delay-critical"]

        assert critical_loss(commenv.RoundRobin()) > critical_loss(commenv.MLWDF())
    assert learning.loss_text({"a": 0.0712, "b": 0.05}) == "7.1% / 5.0%"


def test_the_seed_interval_takes_each_training_seed_as_one_sample():
    theirs = np.array([10.0, 12.0, 14.0])
    seeds = [theirs + 1.0, theirs + 3.0, theirs + np.array([1.0, 2.0, 3.0])]  # mean leads 1, 3 and 2
    mean, low, high = learning.seed_interval(seeds, theirs)
    assert mean == pytest.approx(2.0)
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(0.975, 2 dof) x std of (1, 3, 2) / sqrt(3)
    assert (low, high) == (pytest.approx(2.0 - half), pytest.approx(2.0 + half))
    with pytest.raises(ValueError, match="at least 2 seeds, got 1"):
        learning.seed_interval(seeds[:1], theirs)


@pytest.mark.parametrize("seed, message", [
    ("20010", "overlaps the rules' tuning episodes (seeds 20000 to 20039)"),
    ("19990", "overlaps the rules' tuning episodes"),
    ("-1", "a seed must be >= 0"),
])
def test_the_evaluation_episodes_must_keep_clear_of_the_tuning_episodes(seed, message):
    done = subprocess.run([sys.executable, "-m", "benchmarks.learning", "--episode-seed", seed],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_the_learning_benchmark_starts_without_ray():
    code = "import sys, benchmarks.learning; print(sorted(m for m in ('ray', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"
    usage = subprocess.run([sys.executable, "-m", "benchmarks.learning", "--help"], capture_output=True, text=True,
                           check=True, cwd=ROOT).stdout
    assert "--iterations" in usage and "--module" in usage and "--cell" in usage and "--decode" in usage


def test_the_sequential_module_needs_the_delay_critical_cell():
    done = subprocess.run([sys.executable, "-m", "benchmarks.learning", "--module", "sequential", "--cell", "default"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "--module sequential reads the deadline features: it needs a cell with delay-critical users" in done.stderr
    assert "not the default cell {}" in done.stderr


@pytest.mark.parametrize("text, message", [
    ("{arrival_rate_mbps: 2}", "is not JSON"),
    ("[1, 2]", "must be a JSON object of env config keys, not list"),
    ('{"arrival_rate": 2.0}', "unknown env config key(s) ['arrival_rate']"),
    ('{"arrival_rate_mbps": -1}', "'arrival_rate_mbps'=-1 is invalid: must be a finite number > 0"),
])
def test_a_bad_env_config_is_refused_naming_the_bad_value(text, message):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError) as refused:
        baselines.env_config_argument(text)
    assert message in str(refused.value)
    done = subprocess.run([sys.executable, "-m", "benchmarks.baselines", "--env-config", text],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_a_named_cell_and_a_custom_one_exclude_each_other():
    done = subprocess.run([sys.executable, "-m", "benchmarks.learning", "--cell", "default", "--env-config", "{}"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "not allowed with argument" in done.stderr


@pytest.mark.parametrize("env_config", [{"delay_critical_ues": 2, "arrival_rate_mbps": 2.0}, {"arrival_rate_mbps": 2.0}])
def test_a_custom_cell_plays_every_rule_at_the_parameters_its_own_sweep_found_best(env_config):
    policies, swept = baselines.tuned_rules(1, env_config)
    best = {rule: max(results, key=results.get) for rule, results in swept.items()}
    assert set(EVERY) < set(policies) and len(policies) == len(EVERY) + 1
    bw, exercise = policies["buffer weighted"], policies[next(n for n in policies if n.startswith("exercise rule"))]
    assert exercise.deadline_weight is None
    if "delay_critical_ues" in env_config:
        assert (bw.weight, bw.deadline_weight) == best["buffer weighted, (weight, deadline weight)"]
        assert policies["M-LWDF"].violation_probability == best["M-LWDF, delta"]
        assert policies["EXP/PF"].violation_probability == best["EXP/PF, delta"]
        assert exercise.weight == best["exercise rule (fill only), weight"]
    else:
        assert bw.weight == exercise.weight == best["buffer weighted, weight"]
        assert policies["EXP/PF"].target_delay_tti == best["EXP/PF, target delay (TTI)"]
    # The sweep ran on the custom cell itself, not on the default one.
    tuned_on_default = baselines.sweep(1, baselines.TUNING_SEED, {})
    assert swept["buffer weighted, weight" if "buffer weighted, weight" in swept else
                 "exercise rule (fill only), weight"] != tuned_on_default["buffer weighted, weight"]


def test_the_baselines_table_of_a_custom_cell_names_it(capsys):
    figures = baselines.main(["--episodes", "2", "--tuning-episodes", "1", "--env-config", '{"arrival_rate_mbps": 2.0}'])
    out = capsys.readouterr().out
    assert "custom cell {'arrival_rate_mbps': 2.0}" in out and "held-out: 2 episodes" in out
    assert all(value <= figures["bound"] for value in figures["returns"].values())
