from commenv import bench


class CountingEnv:
    """Ends an episode every 3 steps and counts what the timer asked of it."""

    def __init__(self):
        self.steps = self.resets = 0

    def reset(self, seed=None):
        self.resets += 1
        return None, {}

    def step(self, action):
        self.steps += 1
        return None, 0.0, self.steps % 3 == 0, False, {}


def test_the_timer_steps_exactly_n_times_and_resets_at_episode_ends():
    env = CountingEnv()
    rate = bench.steps_per_second(env, action=0, n_steps=10)
    assert env.steps == 10 and env.resets == 1 + 3  # the first reset, then one after steps 3, 6 and 9
    assert rate > 0


def test_benchmark_prints_both_rates(capsys):
    figures = bench.main(["--steps", "300", "--repeats", "1"])
    out = capsys.readouterr().out
    assert f"{figures['commenv']:,.0f} steps/s" in out and f"{figures['cartpole']:,.0f} steps/s" in out
    assert f"ratio commenv / CartPole: {figures['ratio']:.2f}" in out
