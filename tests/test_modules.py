"""PairScorerModule: its size does not depend on the cell, and it treats users symmetrically."""
import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ray")
from ray.rllib.core.columns import Columns  # noqa: E402
from ray.rllib.core.rl_module.rl_module import RLModuleSpec  # noqa: E402

import commenv  # noqa: E402
from commenv.rllib.modules import PAIR_FEATURES, PairScorerModule  # noqa: E402


def build(n_ues=4, n_rbgs=6, **model_config):
    env = commenv.RadioSchedulingEnv({"n_ues": n_ues, "n_rbgs": n_rbgs})
    torch.manual_seed(0)
    module = RLModuleSpec(module_class=PairScorerModule, observation_space=env.observation_space,
                          action_space=env.action_space, model_config=model_config).build()
    return module, env


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_parameter_count_is_the_same_for_4_and_40_users():
    assert n_params(build(4, 6)[0]) == n_params(build(40, 6)[0]) == n_params(build(4, 17)[0])


def test_outputs_have_one_logit_per_user_and_rbg_and_one_value():
    module, env = build(5, 3, fcnet_hiddens=[8])
    obs = torch.as_tensor(np.stack([env.reset(seed=s)[0] for s in range(7)]))
    out = module.forward_train({Columns.OBS: obs})
    assert out[Columns.ACTION_DIST_INPUTS].shape == (7, 15)
    assert module.compute_values({Columns.OBS: obs}).shape == (7,)
    dist = module.get_train_action_dist_cls().from_logits(out[Columns.ACTION_DIST_INPUTS])
    assert dist.sample().shape == (7, 3)
    assert module.pair_features(obs).shape == (7, 5, 3, len(PAIR_FEATURES))


def test_swapping_two_users_swaps_their_logits():
    module, env = build()
    obs, _ = env.reset(seed=3)
    cqi, buffer, throughput = env.split_observation(obs)
    order = np.array([2, 0, 1, 3])
    swapped = np.concatenate([cqi[order].ravel(), buffer[order], throughput[order]]).astype(np.float32)
    logits = [module.forward_inference({Columns.OBS: torch.as_tensor(o[None])})[Columns.ACTION_DIST_INPUTS]
              .reshape(6, 4) for o in (obs, swapped)]
    torch.testing.assert_close(logits[1], logits[0][:, order])
    values = [module.compute_values({Columns.OBS: torch.as_tensor(o[None])}) for o in (obs, swapped)]
    torch.testing.assert_close(values[0], values[1])


def test_bad_spaces_and_activation_are_refused():
    with pytest.raises(ValueError, match="fcnet_activation='gelu2'"):
        build(fcnet_activation="gelu2")
    env = commenv.RadioSchedulingEnv()
    wrong = gym.spaces.Box(0, 1, (10,), np.float32)
    with pytest.raises(ValueError, match=r"observation shape \(10,\)"):
        RLModuleSpec(module_class=PairScorerModule, observation_space=wrong, action_space=env.action_space).build()


def test_the_envrunner_copy_holds_no_value_head():
    """InferenceOnlyAPI: the inference-only copy has the policy's weights only, named as in the full module."""
    env = commenv.RadioSchedulingEnv()
    specs = {flag: RLModuleSpec(module_class=PairScorerModule, observation_space=env.observation_space,
                                action_space=env.action_space, inference_only=flag) for flag in (False, True)}
    torch.manual_seed(0)
    full = specs[False].build()
    torch.manual_seed(0)
    runner_copy = specs[True].build()
    full_keys, runner_keys = set(full.get_state()), set(runner_copy.get_state())
    value_keys = {key for key in full_keys if key.split(".")[0] in ("vf_encoder", "vf")}
    assert value_keys and runner_keys == full_keys - value_keys
    assert all(key.startswith("pi.") for key in runner_keys)
    # what a Learner sends in a weight sync is exactly what the EnvRunner's copy holds ...
    assert set(full.get_state(inference_only=True)) == runner_keys
    # ... and the same seed gives the same policy weights in both copies (setup builds both heads)
    for key, value in runner_copy.get_state().items():
        np.testing.assert_array_equal(value, full.get_state()[key])
    with pytest.raises(RuntimeError, match="inference-only copy"):
        runner_copy.compute_values({Columns.OBS: torch.zeros(1, *env.observation_space.shape)})


def test_a_real_envrunner_builds_the_inference_only_copy():
    from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner

    from rllib_course.training import course_ppo_config

    runner = SingleAgentEnvRunner(config=course_ppo_config(seed=0).env_runners(num_envs_per_env_runner=1))
    try:
        assert runner.module.inference_only
        assert not any(key.split(".")[0] in ("vf_encoder", "vf") for key in runner.module.get_state())
        assert not hasattr(runner.module, "vf") and not hasattr(runner.module, "vf_encoder")
    finally:
        runner.stop()


def test_the_deadline_module_adds_its_features_and_keeps_users_symmetric():
    from commenv.rllib.modules import DEADLINE_FEATURES, DeadlinePairScorerModule

    env = commenv.RadioSchedulingEnv(commenv.DELAY_CRITICAL)
    torch.manual_seed(0)
    module = RLModuleSpec(module_class=DeadlinePairScorerModule, observation_space=env.observation_space,
                          action_space=env.action_space).build()
    obs, _ = env.reset(seed=3)
    for _ in range(4):
        obs = env.step(np.full(6, 3))[0]  # users 0-2 wait: their pressure grows
    features = module.pair_features(torch.as_tensor(obs[None]))[0]
    assert features.shape == (4, 6, len(PAIR_FEATURES) + len(DEADLINE_FEATURES))
    pressure, critical = env.split_delay_features(obs)
    torch.testing.assert_close(features[:, 0, 5], torch.as_tensor(pressure))
    torch.testing.assert_close(features[:, 0, 6], torch.as_tensor(critical))
    best = np.argmax(env.channel.cqi, axis=1)
    assert all(features[u, best[u], 7] == 0 for u in range(4))  # each user's best RBG has rank 0
    assert pressure[:2].min() > 0 and features[..., 7].max() > 0
    # Users stay interchangeable: permuting users permutes the logits.
    cqi, buffer, throughput = env.split_observation(obs)
    order = np.array([1, 0, 3, 2])
    swapped = np.concatenate([cqi[order].ravel(), buffer[order], throughput[order], pressure[order],
                              critical[order]]).astype(np.float32)
    logits = [module.forward_inference({Columns.OBS: torch.as_tensor(o[None])})[Columns.ACTION_DIST_INPUTS]
              .reshape(6, 4) for o in (obs, swapped)]
    torch.testing.assert_close(logits[1], logits[0][:, order])
    with pytest.raises(ValueError, match="use PairScorerModule"):
        plain = commenv.RadioSchedulingEnv()
        RLModuleSpec(module_class=DeadlinePairScorerModule, observation_space=plain.observation_space,
                     action_space=plain.action_space).build()


def _sequential_module(seed=0, **model_config):
    from commenv.rllib.modules import SequentialPairScorerModule

    env = commenv.RadioSchedulingEnv(commenv.DELAY_CRITICAL)
    torch.manual_seed(seed)
    module = RLModuleSpec(module_class=SequentialPairScorerModule, observation_space=env.observation_space,
                          action_space=env.action_space, model_config=model_config or None).build()
    return env, module


def test_the_sequential_module_computes_bits_like_the_env():
    env, module = _sequential_module()
    obs, _ = env.reset(seed=5)
    bits = module.bits_per_rbg(torch.as_tensor(obs[None]))[0].numpy()
    np.testing.assert_allclose(bits, env.bits_per_rbg, rtol=1e-5)


def test_the_sequential_modules_training_logits_give_the_logp_of_its_own_draws():
    from ray.rllib.core.distribution.torch.torch_distribution import TorchMultiCategorical

    env, module = _sequential_module()
    obs = np.stack([env.reset(seed=s)[0] for s in range(16)])
    batch = {Columns.OBS: torch.as_tensor(obs)}
    with torch.no_grad():
        explored = module.forward_exploration(batch)
        trained = module.forward_train({**batch, Columns.ACTIONS: explored[Columns.ACTIONS]})
    dist = module.get_train_action_dist_cls().from_logits(trained[Columns.ACTION_DIST_INPUTS])
    assert isinstance(dist, TorchMultiCategorical)
    torch.testing.assert_close(dist.logp(explored[Columns.ACTIONS]), explored[Columns.ACTION_LOGP])
    torch.testing.assert_close(trained[Columns.ACTION_DIST_INPUTS], explored[Columns.ACTION_DIST_INPUTS])
    # Another action gives other logits for the later RBGs: RBG r's scores depend on RBGs 0..r-1.
    other = (explored[Columns.ACTIONS] + 1) % 4
    with torch.no_grad():
        moved = module.forward_train({**batch, Columns.ACTIONS: other})[Columns.ACTION_DIST_INPUTS]
    torch.testing.assert_close(moved[:, :4], trained[Columns.ACTION_DIST_INPUTS][:, :4])  # RBG 0 sees nothing yet
    assert not torch.allclose(moved[:, 4:], trained[Columns.ACTION_DIST_INPUTS][:, 4:])


def test_the_sequential_modules_greedy_logits_decode_to_its_greedy_action():
    from commenv.rllib import module_actions

    env, module = _sequential_module(seed=1)
    obs = np.stack([env.reset(seed=s)[0] for s in range(8)])
    with torch.no_grad():
        logits, actions, _ = module.decode(torch.as_tensor(obs), greedy=True)
    np.testing.assert_array_equal(module_actions(module, obs), actions.numpy())
    np.testing.assert_array_equal(logits.reshape(8, 6, 4).argmax(-1).numpy(), actions.numpy())
    drawn = module_actions(module, obs, explore=True)
    assert drawn.shape == (8, 6) and drawn.min() >= 0 and drawn.max() < 4


def test_the_sequential_module_sees_a_buffer_emptied_by_earlier_rbgs():
    env, module = _sequential_module()
    obs, _ = env.reset(seed=2)
    obs = obs.copy()
    obs[24:28] = [0.01, 0.5, 0.5, 0.5]  # user 0: 600 bits left; users 1-3: half a buffer
    seen = []
    original = module.grant_features
    module.grant_features = lambda *args: seen.append(original(*args)) or seen[-1]
    with torch.no_grad():
        all_to_user_0 = torch.zeros(1, 6, dtype=torch.long)
        module.decode(torch.as_tensor(obs[None]), actions=all_to_user_0)
    bits = env.bits_per_rbg
    assert bits[0, 0] > 600  # RBG 0 alone carries user 0's last bits
    expected = torch.tensor([600 / bits[0, 0], 1.0, 1.0, 1.0], dtype=torch.float32)
    torch.testing.assert_close(seen[0][0, :, 0], expected, atol=1e-3, rtol=0)
    assert float(seen[0][0, :, 1].abs().max()) == 0.0  # nothing granted before RBG 0
    assert float(seen[1][0, 0, 0]) == 0.0 and float(seen[5][0, 0, 0]) == 0.0  # nothing left to fill later RBGs
    assert float(seen[5][0, 0, 1]) == pytest.approx(bits[0, :5].sum() / 60_000, rel=1e-4)
    assert torch.all(seen[5][0, 1:, 1] == 0)  # the others got nothing


def test_the_sequential_module_rejects_a_bad_cell_constant():
    with pytest.raises(ValueError, match="buffer_size_bits"):
        _sequential_module(buffer_size_bits=-5)


def _full_buffers(env, seed):
    """Reset, then fill every buffer so that no RBG can empty one: the allocator then never skips a user."""
    obs, _ = env.reset(seed=seed)
    env.unwrapped.queues.bits[:] = env.unwrapped.config.buffer_size_bits
    return env.unwrapped._observe()


def test_module_scores_with_full_buffers_pick_the_greedy_action():
    from commenv.rllib import ModuleScores, module_policy

    module, env = build(4, 6)
    greedy, allocated = module_policy(module), ModuleScores(module)
    for seed in range(5):
        obs = _full_buffers(env, seed)
        np.testing.assert_array_equal(allocated(obs, env), greedy(obs, env))


def test_module_scores_never_give_an_rbg_to_a_covered_buffer_while_another_user_waits():
    from commenv.rllib import ModuleScores, module_policy

    module, env = build(4, 6)
    allocated, greedy = ModuleScores(module), module_policy(module)
    differs = 0
    for seed in range(30):
        obs, _ = env.reset(seed=seed)
        action = allocated(obs, env)
        remaining = env.buffer_bits.copy()
        for rbg, user in enumerate(action):
            assert remaining[user] > 0 or not (remaining > 0).any(), (seed, rbg, action, remaining)
            remaining[user] = max(remaining[user] - env.bits_per_rbg[user, rbg], 0.0)
        differs += not np.array_equal(action, greedy(obs, env))
    assert differs > 0  # at the start of an episode some buffers are empty, and greedy decoding ignores that


def test_module_scores_need_logits():
    from commenv.rllib import ModuleScores

    class NoLogits:
        def forward_inference(self, batch):
            return {Columns.ACTIONS: torch.zeros((1, 6), dtype=torch.int64)}

    env = commenv.RadioSchedulingEnv({})
    obs, _ = env.reset(seed=0)
    with pytest.raises(ValueError, match="NoLogits.forward_inference returns no 'action_dist_inputs'"):
        ModuleScores(NoLogits())(obs, env)
