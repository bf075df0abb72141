"""Does PPO learn to schedule? Train the course's config on several seeds and compare with the baselines.

    .venv/bin/python -m benchmarks.learning                    # Lesson 1.3's config on DELAY_CRITICAL, 3 seeds
    .venv/bin/python -m benchmarks.learning --cell default     # the same on the lessons' default cell
    .venv/bin/python -m benchmarks.learning --module default   # with PPO's default MLP module
    .venv/bin/python -m benchmarks.learning --module sequential  # RBGs given out in order (delay-critical cell)
    .venv/bin/python -m benchmarks.learning --env-config '{"delay_critical_ues": 2, "arrival_rate_mbps": 2.0}'
    .venv/bin/python -m benchmarks.learning --decode buffer-aware  # PPO's scores through the rules' allocator

For every seed it trains ``--iterations`` PPO iterations, scores the greedy policy on held-out
episodes (seeds the training never saw, the same for every policy) every ``--eval-every``
iterations, and prints PPO's final held-out return, every baseline's (the lessons' four, the
tuned rules of ``benchmarks.baselines`` and Lesson 1.2's exercise rule at its best weight), each
as a fraction of the clairvoyant LP bound of ``commenv.bound`` on the same episodes, and the env
steps and training seconds (evaluation time excluded) PPO needed to first reach the best baseline.
Then a paired comparison with the best rule: per held-out episode (the same channel and traffic
for both: common random numbers), PPO's return minus the rule's, with a 95% t-interval over the
episodes, for each seed and for the mean over seeds, and a t-interval with the training seeds as the
samples, which also covers how much the lead changes from one training run to the next. A line of
lost shares per traffic class (delay-critical / best effort) says who pays for each scheduler's losses.
``--episode-seed 30000`` scores everything on other episodes than the held-out ones every figure of
the course was quoted on, for a check on episodes no choice was ever made on.
The last line gives the medians over seeds, which is what the README quotes.
PPO acts greedily by default (each RBG's likeliest user); ``--decode buffer-aware`` makes the
network's logits the scores of the rules' own allocator (``commenv.rllib.ModuleScores``), and the
other decoding of the same trained networks is scored too, on its own line.
On a cell of your own (``--env-config``) the rules are first tuned on that cell's tuning episodes
(``benchmarks.baselines.tuned_rules``), so PPO meets each rule at its best there.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

import commenv
from benchmarks.baselines import (EXERCISE_WEIGHTS, HELD_OUT_SEED, TUNING_SEED, add_cell_arguments, cell_of,
                                  every_baseline, print_sweep, tuned_rules)  # held-out seeds 10000...
from commenv.bound import mean_bound


def play_episodes(policy, n_episodes: int, env_config: dict, first_seed: int = HELD_OUT_SEED) -> list[dict]:
    """``commenv.run_episode``'s totals of each evaluation episode (seeds first_seed, first_seed + 1, ...)."""
    env = commenv.make_env(env_config)
    return [commenv.run_episode(policy, env, first_seed + i) for i in range(n_episodes)]


def returns_of(episodes: list[dict]) -> np.ndarray:
    """The return of each played episode, in order, for a paired comparison."""
    return np.array([totals["return"] for totals in episodes])


def class_loss_shares(episodes: list[dict], env_config: dict) -> dict:
    """Lost bits (dropped or expired) over arrived bits, per traffic class, summed over the played episodes.

    A lead in return could come from letting the delay-critical users' packets expire while best-effort
    users gain more; this says which class pays for each scheduler's losses.
    """
    critical = commenv.make_env(env_config).unwrapped.critical
    lost = sum(totals["dropped"] for totals in episodes)
    arrived = sum(totals["arrived"] for totals in episodes)
    classes = {"delay-critical": critical, "best effort": ~critical}
    return {name: float(lost[users].sum() / arrived[users].sum()) for name, users in classes.items() if users.any()}


def loss_text(shares: dict) -> str:
    return " / ".join(f"{share:.1%}" for share in shares.values())


def paired_difference(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float, float]:
    """Mean per-episode difference and its 95% t-interval: (mean, low, high)."""
    from scipy import stats

    diff = np.asarray(ours, dtype=float) - np.asarray(theirs, dtype=float)
    if diff.size < 2:
        raise ValueError(f"a paired comparison needs at least 2 episodes, got {diff.size}")
    half = stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / math.sqrt(diff.size)
    return float(diff.mean()), float(diff.mean() - half), float(diff.mean() + half)


def seed_interval(ppo_per_seed: list, theirs: np.ndarray) -> tuple[float, float, float]:
    """PPO minus the rule with each training seed as one sample (its mean over the episodes): (mean, low, high).

    ``paired_difference`` over the episodes of the seed average covers only the luck of the episodes;
    this t-interval over the seeds covers how much the lead changes from one training run to the next.
    """
    per_seed = [float(np.mean(np.asarray(ours, dtype=float) - theirs)) for ours in ppo_per_seed]
    if len(per_seed) < 2:
        raise ValueError(f"an interval over training seeds needs at least 2 seeds, got {len(per_seed)}")
    return paired_difference(per_seed, np.zeros(len(per_seed)))


def difference_text(mean: float, low: float, high: float) -> str:
    return f"{mean:+.2f} (95% CI {low:+.2f} to {high:+.2f})"


DECODINGS = ("greedy", "buffer-aware")


def decoded_policy(module, decode: str):
    """The trained module as ``policy(obs, env)``: greedy per RBG, or its logits in the rules' allocator."""
    from commenv.rllib import ModuleScores, module_policy

    return ModuleScores(module) if decode == "buffer-aware" else module_policy(module)


def train_one(seed: int, args, env_config: dict, best_baseline: float) -> dict:
    from rllib_course.training import course_ppo_config

    config = course_ppo_config(seed=seed, env_config=env_config)
    if args.module == "default":
        from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
        from ray.rllib.core.rl_module.rl_module import RLModuleSpec

        config = config.rl_module(rl_module_spec=RLModuleSpec(),
                                  model_config=DefaultModelConfig(fcnet_hiddens=[64, 64], fcnet_activation="tanh",
                                                                  vf_share_layers=False))
    elif args.module == "sequential":
        from ray.rllib.core.rl_module.rl_module import RLModuleSpec

        from commenv.rllib.modules import SequentialPairScorerModule

        cell = commenv.make_env(env_config).unwrapped.config
        config = config.rl_module(rl_module_spec=RLModuleSpec(module_class=SequentialPairScorerModule),
                                  model_config={"fcnet_hiddens": [32, 32], "fcnet_activation": "tanh",
                                                "buffer_size_bits": cell.buffer_size_bits,
                                                "rbg_bandwidth_khz": cell.rbg_bandwidth_khz})
    algo = config.build_algo()
    train_seconds, reached = 0.0, None
    try:
        for iteration in range(1, args.iterations + 1):
            start = time.perf_counter()
            result = algo.train()
            train_seconds += time.perf_counter() - start
            if iteration % args.eval_every and iteration != args.iterations:
                continue
            episodes = play_episodes(decoded_policy(algo.get_module(), args.decode), args.episodes, env_config,
                                     args.episode_seed)
            returns = returns_of(episodes)
            held_out = float(returns.mean())
            steps = int(result["num_env_steps_sampled_lifetime"])
            print(f"  seed {seed} iteration {iteration:3d}  env steps {steps:7d}  train s {train_seconds:6.1f}  "
                  f"held-out return {held_out:7.2f}", flush=True)
            if reached is None and held_out >= best_baseline:
                reached = (steps, train_seconds)
        other = next(d for d in DECODINGS if d != args.decode)
        other_returns = returns_of(play_episodes(decoded_policy(algo.get_module(), other), args.episodes, env_config,
                                                 args.episode_seed))
    finally:
        algo.stop()
    return {"return": held_out, "episodes": returns, "steps": steps, "seconds": train_seconds, "reached": reached,
            "other": other_returns, "losses": class_loss_shares(episodes, env_config)}


def score(value: float, bound: float) -> str:
    return f"{value:.2f} ({value / bound:.1%} of bound)"


def summary_line(setup: str, ppo_returns: list, baselines: dict, bound: float, best_name: str,
                 reached: list) -> str:
    """The benchmark's last line: medians over seeds for PPO, every baseline and the bound."""
    median = statistics.median(ppo_returns)
    line = (f"median over {len(ppo_returns)} seeds ({setup}): PPO {score(median, bound)}"
            + "".join(f", {n} {score(v, bound)}" for n, v in baselines.items())
            + f", LP bound {bound:.2f}; {len(reached)}/{len(ppo_returns)} seeds reached {best_name}")
    if reached:
        line += (f" (median {statistics.median(s for s, _ in reached):.0f} env steps, "
                 f"{statistics.median(t for _, t in reached):.1f} s)")
    return line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--iterations", type=int, default=None,
                        help="PPO iterations per seed (default: the course config's for the cell)")
    parser.add_argument("--eval-every", type=int, default=5, help="evaluate every N iterations (default 5)")
    parser.add_argument("--episodes", type=int, default=20, help="held-out episodes per evaluation (default 20)")
    parser.add_argument("--episode-seed", type=int, default=HELD_OUT_SEED,
                        help=f"seed of the first evaluation episode (default {HELD_OUT_SEED}, the held-out episodes "
                             f"every figure of the course is quoted on; e.g. 30000 for episodes no choice of the "
                             f"course was ever made on); it must keep clear of the tuning episodes")
    add_cell_arguments(parser, "delay-critical")
    parser.add_argument("--tuning-episodes", type=int, default=40,
                        help="with --env-config: tuning episodes per rule parameter (default 40, seeds 20000...)")
    parser.add_argument("--decode", choices=DECODINGS, default="greedy",
                        help="greedy: each RBG's likeliest user (default); buffer-aware: the network's logits as "
                             "the scores of the rules' allocator (commenv.rllib.ModuleScores)")
    parser.add_argument("--module", choices=["course", "default", "sequential"], default="course",
                        help="course: the course's pair-scoring module (Lesson 1's config); default: PPO's "
                             "default MLP; sequential: SequentialPairScorerModule, the RBGs given out in order "
                             "(a cell with delay-critical users)")
    args = parser.parse_args(argv)
    cell, env_config = cell_of(args)
    if args.module == "sequential" and not commenv.make_env(env_config).unwrapped.has_deadlines:
        parser.error(f"--module sequential reads the deadline features: it needs a cell with delay-critical users "
                     f"(--cell delay-critical, or delay_critical_ues > 0 in --env-config), not the {cell} cell "
                     f"{env_config}")
    if args.episodes < 2:
        parser.error(f"--episodes={args.episodes}: a paired comparison needs at least 2")
    if args.episode_seed < 0:
        parser.error(f"--episode-seed={args.episode_seed}: a seed must be >= 0")
    if args.episode_seed < TUNING_SEED + args.tuning_episodes and args.episode_seed + args.episodes > TUNING_SEED:
        parser.error(f"--episode-seed={args.episode_seed} with --episodes={args.episodes} overlaps the rules' tuning "
                     f"episodes (seeds {TUNING_SEED} to {TUNING_SEED + args.tuning_episodes - 1}): the rules would be "
                     f"judged on the episodes they were tuned on; choose a seed outside that range")
    from rllib_course.training import course_iterations

    args.iterations = args.iterations or course_iterations(env_config)
    if args.env_config is not None:
        policies, swept = tuned_rules(args.tuning_episodes, env_config)
        print(f"rules tuned on {args.tuning_episodes} tuning episodes of the custom cell:")
        print_sweep(swept)
    else:
        weight = EXERCISE_WEIGHTS[cell]
        policies = {**every_baseline(env_config),
                    f"exercise rule w={weight:g}": commenv.BufferWeighted(weight, None)}
    played = {name: play_episodes(p, args.episodes, env_config, args.episode_seed) for name, p in policies.items()}
    per_episode = {name: returns_of(episodes) for name, episodes in played.items()}
    baselines = {name: float(r.mean()) for name, r in per_episode.items()}
    bound = mean_bound(args.episodes, args.episode_seed, env_config)
    best_name = max(baselines, key=baselines.get)
    print(f"{cell} cell {env_config}; {args.episodes} evaluation episodes from seed {args.episode_seed}; "
          f"return of the baselines: "
          + ", ".join(f"{n} {score(v, bound)}" for n, v in baselines.items()) + f"; clairvoyant LP bound {bound:.2f}")
    import ray

    from rllib_course.ray_start import start_ray

    start_ray()
    runs = [train_one(seed, args, env_config, baselines[best_name]) for seed in args.seeds]
    print()
    for seed, run in zip(args.seeds, runs):
        reached = (f"reached {best_name} after {run['reached'][0]} env steps, {run['reached'][1]:.1f} s"
                   if run["reached"] else f"did not reach {best_name}")
        paired = difference_text(*paired_difference(run["episodes"], per_episode[best_name]))
        print(f"seed {seed}: PPO held-out return {score(run['return'], bound)} = "
              f"{run['return'] / baselines[best_name]:.3f} x {best_name}, after {run['steps']} env steps, "
              f"{run['seconds']:.1f} s of training; {reached}; paired difference per episode {paired}")
    mean_over_seeds = np.mean([run["episodes"] for run in runs], axis=0)
    median = statistics.median(run["return"] for run in runs)
    print(f"PPO (median seed) / {best_name} = {median / baselines[best_name]:.3f}; PPO averaged over the seeds, "
          f"minus {best_name}, per episode: "
          + difference_text(*paired_difference(mean_over_seeds, per_episode[best_name]))
          + f" over {args.episodes} episodes; training s per seed: "
          + ", ".join(f"{run['seconds']:.1f}" for run in runs))
    if len(runs) >= 2:
        over_seeds = seed_interval([run["episodes"] for run in runs], per_episode[best_name])
        print(f"the same difference with the training seeds as the samples ({len(runs)} seeds, each its mean over the "
              f"episodes): {difference_text(*over_seeds)}; this interval covers the spread between training seeds, "
              f"the one above only the episodes' luck")
    rule_losses = class_loss_shares(played[best_name], env_config)
    print(f"lost share of the arrived bits, {' / '.join(rule_losses)}: {best_name} {loss_text(rule_losses)}; PPO "
          + ", ".join(f"seed {seed} {loss_text(run['losses'])}" for seed, run in zip(args.seeds, runs)))
    other = next(d for d in DECODINGS if d != args.decode)
    other_returns = [float(run["other"].mean()) for run in runs]
    print(f"the same networks, {other} decoding: "
          + ", ".join(f"seed {seed} {value:.2f} ({value / baselines[best_name]:.3f} x)"
                      for seed, value in zip(args.seeds, other_returns))
          + f"; median {statistics.median(other_returns) / baselines[best_name]:.3f} x {best_name}; averaged over "
          f"the seeds, minus {best_name}, per episode: "
          + difference_text(*paired_difference(np.mean([run["other"] for run in runs], axis=0),
                                               per_episode[best_name])))
    print(summary_line(f"{args.module} module, {args.decode} decoding", [r["return"] for r in runs], baselines, bound,
                       best_name,
                       [r["reached"] for r in runs if r["reached"]]))
    ray.shutdown()


if __name__ == "__main__":
    main()
