"""How good are the rules, and how far from perfect? Tune them, then score them against the clairvoyant bound.

    .venv/bin/python -m benchmarks.baselines                          # the lessons' default cell
    .venv/bin/python -m benchmarks.baselines --cell delay-critical    # commenv.DELAY_CRITICAL
    .venv/bin/python -m benchmarks.baselines --env-config '{"delay_critical_ues": 2, "arrival_rate_mbps": 2.0}'

First the tuned rules' parameters are swept on tuning episodes (seeds 20000, 20001, ...), which
no comparison uses; then every baseline, the tuned defaults and the neighbouring weights are
scored on the held-out episodes (seeds 10000, 10001, ..., the ones ``benchmarks.learning`` scores
PPO on), next to the mean LP bound of ``commenv.bound``, and each return is given as a fraction of
that bound. No Ray: it runs in well under a minute (the delay-critical sweep in a few).
A cell of your own (``--env-config``, any keys of ``commenv.SchedulerConfig``) has no shipped
parameters: every rule then plays with the values its sweep found best on that cell's tuning
episodes, so that a comparison on a new cell is as fair to the rules as on the named ones.
"""
from __future__ import annotations

import argparse
import json

import commenv
from commenv.baselines import MLWDF, BufferWeighted, ExpPF, strong_baselines
from commenv.bound import mean_bound

HELD_OUT_SEED = 10_000  # the evaluation episodes of benchmarks.learning and Lesson 1.3
TUNING_SEED = 20_000    # parameters are chosen here, never on the held-out episodes
# Each grid reaches past its best value on both sides, so no tuned parameter sits on the grid's edge.
WEIGHTS = (0.5, 1.0, 2.0, 3.0, 5.0, 8.0)    # BufferWeighted's weight
TARGETS = (5.0, 10.0, 20.0, 40.0, 80.0)     # EXP/PF's target delay, TTIs
# With delay-critical users: BufferWeighted's (weight, deadline_weight), and delta of M-LWDF and EXP/PF.
DEADLINE_WEIGHTS = tuple((w, d) for w in (1.0, 2.0, 3.0, 5.0, 8.0, 12.0) for d in (1.0, 2.0, 3.0, 5.0, 10.0, 20.0))
DELTAS = (0.001, 0.01, 0.05, 0.2, 0.5)
CELLS = {"default": commenv.DEFAULT, "delay-critical": commenv.DELAY_CRITICAL}
# Lesson 1.2's exercise rule as written (buffer fill for every user): its best weight in each cell.
EXERCISE_WEIGHTS = {"default": BufferWeighted.DEFAULT_WEIGHT, "delay-critical": 1.0}


def every_baseline(env_config: dict | None = None) -> dict:
    """The lessons' four textbook rules and the tuned ones (tuned for ``env_config``), keyed by display name."""
    return {**commenv.all_baselines(), **strong_baselines(env_config)}


def mean_returns(policies: dict, n_episodes: int, seed: int, env_config: dict | None = None) -> dict:
    return {name: commenv.evaluate(policy, n_episodes, seed, env_config)["mean_return"]
            for name, policy in policies.items()}


def sweep(n_episodes: int, seed: int = TUNING_SEED, env_config: dict | None = None) -> dict:
    """``{rule: {parameter: mean return}}`` on the tuning episodes of the cell ``env_config``."""
    if not commenv.make_env(env_config).unwrapped.has_deadlines:
        return {"buffer weighted, weight": mean_returns({w: BufferWeighted(w) for w in WEIGHTS}, n_episodes, seed,
                                                        env_config),
                "EXP/PF, target delay (TTI)": mean_returns({t: ExpPF(t) for t in TARGETS}, n_episodes, seed,
                                                           env_config)}
    return {"buffer weighted, (weight, deadline weight)": mean_returns(
                {w: BufferWeighted(*w) for w in DEADLINE_WEIGHTS}, n_episodes, seed, env_config),
            "exercise rule (fill only), weight": mean_returns({w: BufferWeighted(w, None) for w in WEIGHTS},
                                                              n_episodes, seed, env_config),
            "M-LWDF, delta": mean_returns({d: MLWDF(d) for d in DELTAS}, n_episodes, seed, env_config),
            "EXP/PF, delta": mean_returns({d: ExpPF(violation_probability=d) for d in DELTAS}, n_episodes, seed,
                                          env_config)}


def tuned_rules(n_episodes: int, env_config: dict) -> tuple[dict, dict]:
    """Every baseline and the exercise rule, each with the parameters best on the cell's tuning episodes.

    Returns (policies keyed by display name, the sweep). The shipped defaults were found the same
    way for the named cells; this does it again for any other cell.
    """
    swept = sweep(n_episodes, TUNING_SEED, env_config)
    best = {rule: max(results, key=results.get) for rule, results in swept.items()}
    if commenv.make_env(env_config).unwrapped.has_deadlines:
        rules = (BufferWeighted(*best["buffer weighted, (weight, deadline weight)"]), MLWDF(best["M-LWDF, delta"]),
                 ExpPF(violation_probability=best["EXP/PF, delta"]))
        exercise_weight = best["exercise rule (fill only), weight"]
    else:
        rules = (BufferWeighted(best["buffer weighted, weight"]), MLWDF(),
                 ExpPF(best["EXP/PF, target delay (TTI)"]))
        exercise_weight = best["buffer weighted, weight"]  # without deadlines the exercise rule is this rule
    policies = {**commenv.all_baselines(), **{rule.name: rule for rule in rules},
                f"exercise rule w={exercise_weight:g}": BufferWeighted(exercise_weight, None)}
    return policies, swept


def env_config_argument(text: str) -> dict:
    """``--env-config``: a JSON object of ``commenv.SchedulerConfig`` keys, checked like the environment does."""
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not JSON ({error.msg}); write an object such as "
                                         f"'{{\"arrival_rate_mbps\": 2.0}}'") from None
    if not isinstance(config, dict):
        raise argparse.ArgumentTypeError(f"{text!r} must be a JSON object of env config keys, not "
                                         f"{type(config).__name__}")
    try:
        commenv.make_config(config)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return config


def cell_of(args) -> tuple[str, dict]:
    """(label, env_config) of the named ``--cell`` or of ``--env-config``."""
    if args.env_config is not None:
        return "custom", args.env_config
    return args.cell, CELLS[args.cell]


def add_cell_arguments(parser: argparse.ArgumentParser, default_cell: str) -> None:
    cells = parser.add_mutually_exclusive_group()
    cells.add_argument("--cell", choices=sorted(CELLS), default=default_cell,
                       help=f"a named cell: default (the lessons' cell) or delay-critical (commenv.DELAY_CRITICAL); "
                            f"default {default_cell}")
    cells.add_argument("--env-config", type=env_config_argument, default=None, metavar="JSON",
                       help="a cell of your own, e.g. '{\"delay_critical_ues\": 2, \"arrival_rate_mbps\": 2.0}'; "
                            "the rules are then tuned on its tuning episodes first")


def print_sweep(swept: dict) -> None:
    for rule, results in swept.items():
        best = max(results, key=results.get)
        print(f"  {rule}: " + ", ".join(f"{label(p)} {v:.2f}" for p, v in results.items()) + f"  -> best {label(best)}")


def score_with_bound(n_episodes: int, seed: int = HELD_OUT_SEED, policies: dict | None = None,
                     env_config: dict | None = None) -> tuple[dict, float]:
    """Mean return of each policy (every baseline by default) and the mean bound, on the same episodes."""
    returns = mean_returns(every_baseline(env_config) if policies is None else policies, n_episodes, seed, env_config)
    return returns, mean_bound(n_episodes, seed, env_config)


def table(returns: dict, bound: float) -> str:
    lines = [f"{'scheduler':<22}{'mean return':>12}{'of bound':>10}"]
    lines += [f"{name:<22}{value:12.2f}{value / bound:10.1%}" for name, value in returns.items()]
    lines.append(f"{'clairvoyant LP bound':<22}{bound:12.2f}{1:10.1%}")
    return "\n".join(lines)


def label(parameter) -> str:
    return "(" + ", ".join(f"{p:g}" for p in parameter) + ")" if isinstance(parameter, tuple) else f"{parameter:g}"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20, help="held-out episodes (default 20, seeds 10000...)")
    parser.add_argument("--tuning-episodes", type=int, default=40,
                        help="tuning episodes per parameter value (default 40, seeds 20000...)")
    add_cell_arguments(parser, "default")
    args = parser.parse_args(argv)
    cell, env_config = cell_of(args)

    if args.env_config is not None:
        policies, swept = tuned_rules(args.tuning_episodes, env_config)
    else:
        swept = sweep(args.tuning_episodes, TUNING_SEED, env_config)
        policies = every_baseline(env_config)
        if not env_config:
            policies.update({f"buffer weighted w={w:g}": BufferWeighted(w) for w in (3.0, 5.0)})
        else:
            weight = EXERCISE_WEIGHTS[cell]
            policies[f"exercise rule w={weight:g}"] = BufferWeighted(weight, None)
    tuning_bound = mean_bound(args.tuning_episodes, TUNING_SEED, env_config)
    print(f"{cell} cell {env_config}")
    print(f"tuning sweep: mean return on {args.tuning_episodes} episodes from seed {TUNING_SEED} "
          f"(bound {tuning_bound:.2f})")
    print_sweep(swept)
    policies["random"] = commenv.RandomScheduler()
    returns, bound = score_with_bound(args.episodes, HELD_OUT_SEED, policies, env_config)
    print(f"\nheld-out: {args.episodes} episodes from seed {HELD_OUT_SEED}, {cell} cell")
    print(table(returns, bound))
    return {"sweep": swept, "tuning_bound": tuning_bound, "returns": returns, "bound": bound}

if __name__ == "__main__":
    main()
