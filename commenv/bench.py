"""Raw environment speed: ``python -m commenv.bench`` prints steps/s of commenv and CartPole-v1.

Both environments are stepped unwrapped (no gymnasium checkers or time limits) with a fixed
action, so the figure is the cost of the simulation itself. Each is timed ``--repeats``
times in the same process and the median is reported, since timings on a shared machine are noisy.
"""
from __future__ import annotations

import argparse
import statistics
import time

import gymnasium as gym
import numpy as np

from commenv.env import RadioSchedulingEnv


def steps_per_second(env, action, n_steps: int) -> float:
    env.reset(seed=0)
    step = env.step
    start = time.perf_counter()
    for _ in range(n_steps):
        _, _, terminated, truncated, _ = step(action)
        if terminated or truncated:
            env.reset()
    return n_steps / (time.perf_counter() - start)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000, help="steps per timing (default 50000)")
    parser.add_argument("--repeats", type=int, default=5, help="timings per environment (default 5)")
    args = parser.parse_args(argv)
    commenv_env = RadioSchedulingEnv()
    commenv_action = np.arange(commenv_env.n_rbgs) % commenv_env.n_ues
    cartpole = gym.make("CartPole-v1").unwrapped
    rates = {"commenv": [], "cartpole": []}
    for _ in range(args.repeats):  # interleaved, so both see the same machine load
        rates["commenv"].append(steps_per_second(commenv_env, commenv_action, args.steps))
        rates["cartpole"].append(steps_per_second(cartpole, 1, args.steps))
    medians = {name: statistics.median(r) for name, r in rates.items()}
    ratio = medians["commenv"] / medians["cartpole"]
    config = commenv_env.config
    print(f"commenv RadioSchedulingEnv ({config.n_ues} users, {config.n_rbgs} RBGs): "
          f"{medians['commenv']:,.0f} steps/s ({1e6 / medians['commenv']:.1f} us/step)")
    print(f"gymnasium CartPole-v1:                      {medians['cartpole']:,.0f} steps/s "
          f"({1e6 / medians['cartpole']:.1f} us/step)")
    print(f"ratio commenv / CartPole: {ratio:.2f}  (median of {args.repeats} x {args.steps:,} steps each)")
    return {"commenv": medians["commenv"], "cartpole": medians["cartpole"], "ratio": ratio}


if __name__ == "__main__":
    main()
