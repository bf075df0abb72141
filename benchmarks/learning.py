"""Does PPO learn to schedule? Train the course's config on several seeds and compare with the baselines.

    .venv/bin/python -m benchmarks.learning                  # the config Lesson 1 trains, 3 seeds
    .venv/bin/python -m benchmarks.learning --module default # the same with PPO's default MLP module

For every seed it trains ``--iterations`` PPO iterations, scores the greedy policy on held-out
episodes (seeds the training never saw, the same for every policy) every ``--eval-every``
iterations, and prints PPO's final held-out return, each baseline's, and the env steps and
training seconds (evaluation time excluded) PPO needed to first reach the best baseline.
The last line gives the medians over seeds, which is what the README quotes.
"""
from __future__ import annotations

import argparse
import statistics
import time

import commenv
from commenv.rllib import module_policy
from rllib_course.ray_start import start_ray
from rllib_course.training import course_ppo_config

HELD_OUT_SEED = 10_000  # evaluation episodes use seeds 10000, 10001, ...; training seeds are small integers


def train_one(seed: int, args, best_baseline: float) -> dict:
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
            score = commenv.evaluate(module_policy(algo.get_module()), args.episodes, HELD_OUT_SEED)["mean_return"]
            steps = int(result["num_env_steps_sampled_lifetime"])
            print(f"  seed {seed} iteration {iteration:3d}  env steps {steps:7d}  train s {train_seconds:6.1f}  "
                  f"held-out return {score:7.2f}", flush=True)
            if reached is None and score >= best_baseline:
                reached = (steps, train_seconds)
    finally:
        algo.stop()
    return {"return": score, "steps": steps, "seconds": train_seconds, "reached": reached}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--iterations", type=int, default=15, help="PPO iterations per seed (default 15)")
    parser.add_argument("--eval-every", type=int, default=1, help="evaluate every N iterations (default 1)")
    parser.add_argument("--episodes", type=int, default=20, help="held-out episodes per evaluation (default 20)")
    parser.add_argument("--module", choices=["course", "default"], default="course",
                        help="course: PairScorerModule (Lesson 1's config); default: PPO's default MLP")
    args = parser.parse_args(argv)

    baselines = {name: commenv.evaluate(policy, args.episodes, HELD_OUT_SEED)["mean_return"]
                 for name, policy in commenv.all_baselines().items()}
    best_name = max(baselines, key=baselines.get)
    print("held-out return of the baselines: " + ", ".join(f"{n} {v:.2f}" for n, v in baselines.items()))
    start_ray()
    runs = [train_one(seed, args, baselines[best_name]) for seed in args.seeds]
    print()
    for seed, run in zip(args.seeds, runs):
        reached = (f"reached {best_name} after {run['reached'][0]} env steps, {run['reached'][1]:.1f} s"
                   if run["reached"] else f"did not reach {best_name}")
        print(f"seed {seed}: PPO held-out return {run['return']:.2f} after {run['steps']} env steps, "
              f"{run['seconds']:.1f} s of training; {reached}")
    reached = [r["reached"] for r in runs if r["reached"]]
    summary = (f"median over {len(runs)} seeds ({args.module} module): PPO {statistics.median(r['return'] for r in runs):.2f}"
               + "".join(f", {n} {v:.2f}" for n, v in baselines.items())
               + f"; {len(reached)}/{len(runs)} seeds reached {best_name}")
    if reached:
        summary += (f" (median {statistics.median(s for s, _ in reached):.0f} env steps, "
                    f"{statistics.median(t for _, t in reached):.1f} s)")
    print(summary)
    import ray

    ray.shutdown()


if __name__ == "__main__":
    main()
