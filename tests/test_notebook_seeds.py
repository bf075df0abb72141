"""benchmarks/notebook_seeds.py: a notebook's claims re-run with other training seeds."""
import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

from benchmarks import notebook_seeds  # noqa: E402


def tiny_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def course_ppo_config(seed):\n    return seed\n\n\nx = course_ppo_config(seed=0)"),
        nbformat.v4.new_code_cell("# NBVAL_RAISES_EXCEPTION\nraise ValueError('shown on purpose')"),
        nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint('trained with seed', x)\nassert x < 3, 'claim broken'"),
    ])
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_seed_is_replaced_and_the_file_kept(tmp_path):
    path = tiny_notebook(tmp_path)
    before = path.read_text()
    status, outputs, _ = notebook_seeds.run(path, 2, timeout_s=60)
    assert status.startswith("every cell ran")
    assert outputs == ["[cell 2]\ntrained with seed 2"]
    assert path.read_text() == before


def test_a_broken_claim_names_its_cell(tmp_path):
    status, _, _ = notebook_seeds.run(tiny_notebook(tmp_path), 5, timeout_s=60)
    assert status.startswith("FAILED in cell 2: AssertionError: claim broken")
    assert notebook_seeds.main([str(tiny_notebook(tmp_path)), "--seeds", "1", "5"]) == 1


def test_a_notebook_without_a_training_seed_is_refused():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="never calls course_ppo_config"):
        notebook_seeds.with_seed(nb, 1)
