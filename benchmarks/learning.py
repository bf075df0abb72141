"""Does PPO learn to schedule? Train the course's config on several seeds and compare with the baselines.

    .venv/bin/python -m benchmarks.learning                  # the config Lesson 1 trains, 3 seeds
    .venv/bin/python -m benchmarks.learning --module default # the same with PPO's default MLP module

For every seed it trains ``--iterations`` PPO iterations, scores the greedy policy on held-out
episodes (seeds the training never saw, the same for every policy) every ``--eval-every``
iterations, and prints PPO's final held-out return, every baseline's (the lessons' four and the
tuned rules of ``benchmarks.baselines``), each as a fraction of the clairvoyant LP bound of
``commenv.bound`` on the same episodes, and the env steps and training seconds (evaluation time
excluded) PPO needed to first reach the best baseline.
The last line gives the medians over seeds, which is what the README quotes.
"""
from __future__ import annotations

import argparse
import statistics
import time

import commenv
from benchmarks.baselines import HELD_OUT_SEED, score_with_bound  # held-out seeds 10000, 10001, ...


def train_one(seed: int, args, best_baseline: float) -> dict:
    from commenv.rllib import module_policy
    from rllib_course.training import course_ppo_config

    config = course_ppo_config(seed=seed)
    if args.module == "default":
        from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
        from ray.rllib.core.rl_module.rl_module import RLModuleSpec

        config = config.rl_module(rl_module_spec=RLModuleSpec(),
                                  model_config=DefaultModelConfig(fcnet_hiddens=[64, 64], fcnet_activation="tanh",
                                                                  vf_share_layers=False))
    algo = config.build_algo()
    train_seconds, reached = 0.0, None
    try:
        for iteration in range(1, args.iterations + 1):
            start = time.perf_counter()
            result = algo.train()
            train_seconds += time.perf_counter() - start
            if iteration % args.eval_every and iteration != args.iterations:
                continue
            held_out = commenv.evaluate(module_policy(algo.get_module()), args.episodes, HELD_OUT_SEED)["mean_return"]
            steps = int(result["num_env_steps_sampled_lifetime"])
            print(f"  seed {seed} iteration {iteration:3d}  env steps {steps:7d}  train s {train_seconds:6.1f}  "
                  f"held-out return {held_out:7.2f}", flush=True)
            if reached is None and held_out >= best_baseline:
                reached = (steps, train_seconds)
    finally:
        algo.stop()
    return {"return": held_out, "steps": steps, "seconds": train_seconds, "reached": reached}


def score(value: float, bound: float) -> str:
    return f"{value:.2f} ({value / bound:.1%} of bound)"


def summary_line(module: str, ppo_returns: list, baselines: dict, bound: float, best_name: str,
                 reached: list) -> str:
    """The benchmark's last line: medians over seeds for PPO, every baseline and the bound."""
    median = statistics.median(ppo_returns)
    line = (f"median over {len(ppo_returns)} seeds ({module} module): PPO {score(median, bound)}"
            + "".join(f", {n} {score(v, bound)}" for n, v in baselines.items())
            + f", LP bound {bound:.2f}; {len(reached)}/{len(ppo_returns)} seeds reached {best_name}")
    if reached:
        line += (f" (median {statistics.median(s for s, _ in reached):.0f} env steps, "
                 f"{statistics.median(t for _, t in reached):.1f} s)")
    return line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--iterations", type=int, default=15, help="PPO iterations per seed (default 15)")
    parser.add_argument("--eval-every", type=int, default=1, help="evaluate every N iterations (default 1)")
    parser.add_argument("--episodes", type=int, default=20, help="held-out episodes per evaluation (default 20)")
    parser.add_argument("--module", choices=["course", "default"], default="course",
                        help="course: PairScorerModule (Lesson 1's config); default: PPO's default MLP")
    args = parser.parse_args(argv)

    baselines, bound = score_with_bound(args.episodes, HELD_OUT_SEED)
    best_name = max(baselines, key=baselines.get)
    print("held-out return of the baselines: " + ", ".join(f"{n} {score(v, bound)}" for n, v in baselines.items())
          + f"; clairvoyant LP bound {bound:.2f}")
    import ray

    from rllib_course.ray_start import start_ray

    start_ray()
    runs = [train_one(seed, args, baselines[best_name]) for seed in args.seeds]
    print()
    for seed, run in zip(args.seeds, runs):
        reached = (f"reached {best_name} after {run['reached'][0]} env steps, {run['reached'][1]:.1f} s"
                   if run["reached"] else f"did not reach {best_name}")
        print(f"seed {seed}: PPO held-out return {score(run['return'], bound)} after {run['steps']} env steps, "
              f"{run['seconds']:.1f} s of training; {reached}")
    print(summary_line(args.module, [r["return"] for r in runs], baselines, bound, best_name,
                       [r["reached"] for r in runs if r["reached"]]))
    ray.shutdown()


if __name__ == "__main__":
    main()
