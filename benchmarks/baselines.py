"""How good are the rules, and how far from perfect? Tune them, then score them against the clairvoyant bound.

    .venv/bin/python -m benchmarks.baselines

First the tuned rules' parameters are swept on tuning episodes (seeds 20000, 20001, ...), which
no comparison uses; then every baseline, the tuned defaults and the neighbouring weights are
scored on the held-out episodes (seeds 10000, 10001, ..., the ones ``benchmarks.learning`` scores
PPO on), next to the mean LP bound of ``commenv.bound``, and each return is given as a fraction of
that bound. No Ray: it runs in seconds.
"""
from __future__ import annotations

import argparse

import commenv
from commenv.baselines import BufferWeighted, ExpPF, strong_baselines
from commenv.bound import mean_bound

HELD_OUT_SEED = 10_000  # the evaluation episodes of benchmarks.learning and Lesson 1.3
TUNING_SEED = 20_000    # parameters are chosen here, never on the held-out episodes
WEIGHTS = (1.0, 2.0, 3.0, 5.0, 8.0)         # BufferWeighted's weight
TARGETS = (5.0, 10.0, 20.0, 40.0, 80.0)     # EXP/PF's target delay, TTIs


def every_baseline() -> dict:
    """The lessons' four textbook rules and the tuned ones, keyed by display name."""
    return {**commenv.all_baselines(), **strong_baselines()}


def mean_returns(policies: dict, n_episodes: int, seed: int, env_config: dict | None = None) -> dict:
    return {name: commenv.evaluate(policy, n_episodes, seed, env_config)["mean_return"]
            for name, policy in policies.items()}


def sweep(n_episodes: int, seed: int = TUNING_SEED) -> dict:
    """``{rule: {parameter: mean return}}`` on the tuning episodes."""
    return {"buffer weighted, weight": mean_returns({w: BufferWeighted(w) for w in WEIGHTS}, n_episodes, seed),
            "EXP/PF, target delay (TTI)": mean_returns({t: ExpPF(t) for t in TARGETS}, n_episodes, seed)}


def score_with_bound(n_episodes: int, seed: int = HELD_OUT_SEED, policies: dict | None = None) -> tuple[dict, float]:
    """Mean return of each policy (every baseline by default) and the mean bound, on the same episodes."""
    returns = mean_returns(every_baseline() if policies is None else policies, n_episodes, seed)
    return returns, mean_bound(n_episodes, seed)


def table(returns: dict, bound: float) -> str:
    lines = [f"{'scheduler':<22}{'mean return':>12}{'of bound':>10}"]
    lines += [f"{name:<22}{value:12.2f}{value / bound:10.1%}" for name, value in returns.items()]
    lines.append(f"{'clairvoyant LP bound':<22}{bound:12.2f}{1:10.1%}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20, help="held-out episodes (default 20, seeds 10000...)")
    parser.add_argument("--tuning-episodes", type=int, default=40,
                        help="tuning episodes per parameter value (default 40, seeds 20000...)")
    args = parser.parse_args(argv)

    swept = sweep(args.tuning_episodes)
    tuning_bound = mean_bound(args.tuning_episodes, TUNING_SEED)
    print(f"tuning sweep: mean return on {args.tuning_episodes} episodes from seed {TUNING_SEED} "
          f"(bound {tuning_bound:.2f})")
    for rule, results in swept.items():
        best = max(results, key=results.get)
        print(f"  {rule}: " + ", ".join(f"{p:g} {v:.2f}" for p, v in results.items()) + f"  -> best {best:g}")
    policies = every_baseline()
    policies.update({f"buffer weighted w={w:g}": BufferWeighted(w) for w in (3.0, 5.0)})
    policies["random"] = commenv.RandomScheduler()
    returns, bound = score_with_bound(args.episodes, HELD_OUT_SEED, policies)
    print(f"\nheld-out: {args.episodes} episodes from seed {HELD_OUT_SEED}, default config")
    print(table(returns, bound))
    return {"sweep": swept, "tuning_bound": tuning_bound, "returns": returns, "bound": bound}


if __name__ == "__main__":
    main()
