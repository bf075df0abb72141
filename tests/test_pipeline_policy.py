"""PipelinePolicy acts as the EnvRunner does; module_policy agrees with it only while no piece changes the observation."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ray")
from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner  # noqa: E402
from ray.rllib.env.single_agent_episode import SingleAgentEpisode  # noqa: E402

import commenv  # noqa: E402
from commenv.rllib import module_policy  # noqa: E402
from rllib_course.connectors import GroupedMeanStdFilter, scheduler_groups  # noqa: E402
from rllib_course.pipeline_policy import PipelinePolicy, act  # noqa: E402
from rllib_course.training import course_ppo_config  # noqa: E402


def runner_for(config):
    return SingleAgentEnvRunner(config=config.env_runners(num_envs_per_env_runner=2))


def observations(n=20, seed=7):
    env, out = commenv.make_env(), []
    obs, _ = env.reset(seed=seed)
    for _ in range(n):
        out.append(obs)
        obs, *_ = env.step(env.action_space.sample())
    return out


def test_one_step_by_hand_equals_sample():
    runner = runner_for(course_ppo_config(seed=0))
    obs, infos = runner.env.reset(seed=runner._seed)
    episodes = [SingleAgentEpisode() for _ in range(runner.num_envs)]
    for episode, o, i in zip(episodes, obs, infos):
        episode.add_env_reset(observation=o, infos=i)
    torch.manual_seed(5)
    by_hand = act(runner.module, runner._env_to_module, runner._module_to_env, episodes, explore=True)
    torch.manual_seed(5)
    sampled = runner.sample(num_timesteps=runner.num_envs)
    np.testing.assert_array_equal(by_hand["actions"], np.stack([e.get_actions(0) for e in sampled]))
    np.testing.assert_allclose(by_hand["action_logp"], [e.get_extra_model_outputs("action_logp", 0) for e in sampled])


def test_module_policy_equals_the_default_pipeline():
    runner = runner_for(course_ppo_config(seed=0))
    for explore in (False, True):
        ours = PipelinePolicy(runner.module, runner._env_to_module, runner._module_to_env, explore=explore)
        theirs = module_policy(runner.module, explore=explore)
        for k, obs in enumerate(observations()):
            torch.manual_seed(k)
            a = ours(obs)
            torch.manual_seed(k)
            np.testing.assert_array_equal(a, theirs(obs))


def test_with_a_filter_only_the_pipeline_sees_what_the_module_was_trained_on():
    groups = scheduler_groups(4, 6)
    config = course_ppo_config(seed=0).env_runners(
        env_to_module_connector=lambda env, spaces, device: GroupedMeanStdFilter(groups=groups))
    runner = runner_for(config)
    runner.sample(num_timesteps=200)
    piece = runner._env_to_module.connectors[0]
    piece.update_stats = False
    ours = PipelinePolicy(runner.module, runner._env_to_module, runner._module_to_env)
    theirs = module_policy(runner.module)
    obs = observations()
    with torch.no_grad():
        want = [runner.module.forward_inference({"obs": torch.as_tensor(piece.standardize(o)[None])})[
            "action_dist_inputs"].reshape(6, 4).argmax(-1).numpy() for o in obs]
    np.testing.assert_array_equal(np.stack([ours(o) for o in obs]), np.stack(want))
    assert (np.stack([theirs(o) for o in obs]) != np.stack(want)).any()
