from commenv import bench


def test_benchmark_prints_both_rates_and_their_ratio(capsys):
    figures = bench.main(["--steps", "300", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "steps/s" in out and "CartPole-v1" in out and "ratio commenv / CartPole" in out
    assert figures["commenv"] > 0 and figures["cartpole"] > 0
    assert figures["ratio"] == figures["commenv"] / figures["cartpole"]
