"""pelvisim validate: regressions against the record, the README block, the CLI."""
import json

import pytest

from pelvisim import cli, validation
from pelvisim.validation import README_END, README_START, Target, validate


def _targets(value):
    return [Target("a", "thing a", "someone 2000", "1-2 N", 1.0, 2.0, "N", lambda ctx: value,
                   "constant"),
            Target("b", "thing b", "someone 2001", "1-2 N", 1.0, 2.0, "N", lambda ctx: value,
                   "constant", informative=True)]


def test_every_target_has_a_unique_key_and_a_range():
    keys = [t.key for t in validation.TARGETS]
    assert len(keys) == len(set(keys))
    assert all(t.low < t.high and t.source and t.published for t in validation.TARGETS)
    spec10 = {"sls_abductor_force", "sls_hip_contact", "sls_gmed_gmin_share",
              "standing_compression", "bend40_ratio", "piriformis_crossover", "gmed_arm",
              "sacral_slope", "half_abductors_posture", "walking_dip", "bend40_compression",
              "tafazzol_rhythm", "tight_flexor_tilt"}
    assert spec10 <= set(keys)


def test_regression_is_a_target_that_left_its_range(tmp_path, model):
    rec = tmp_path / "recorded.json"
    first = validate(model, out=tmp_path, recorded=rec, record=True, figures=False,
                     targets=_targets(1.5))
    assert first.ok and json.loads(rec.read_text())["targets"]["a"]["inside"]
    again = validate(model, out=tmp_path, recorded=rec, figures=False, targets=_targets(3.0))
    assert again.regressions == ["a"]  # b is informative: never a regression
    report = (tmp_path / "report.md").read_text()
    assert "| thing a | someone 2000 | 1-2 N (1 N to 2 N) | 3 N | **no** |" in report


def test_readme_block_is_rewritten(tmp_path, model):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{README_START}\nold\n{README_END}\nrest\n")
    validate(model, out=tmp_path, recorded=None, readme=readme, figures=False,
             targets=_targets(1.5))
    text = readme.read_text()
    assert "old" not in text and "| thing a |" in text and text.endswith("rest\n")
    bare = tmp_path / "bare.md"
    bare.write_text("no markers\n")
    with pytest.raises(ValueError, match="markers"):
        validate(model, out=tmp_path, recorded=None, readme=bare, figures=False,
                 targets=_targets(1.5))


def test_cli_exit_code_on_regression(tmp_path, monkeypatch, capsys):
    rec = tmp_path / "rec.json"
    monkeypatch.setattr(validation, "TARGETS", _targets(1.5))
    args = ["validate", "--out", str(tmp_path), "--recorded", str(rec), "--no-figures"]
    assert cli.main(args + ["--record"]) == 0
    monkeypatch.setattr(validation, "TARGETS", _targets(5.0))
    assert cli.main(args) == 1
    assert "regressed from the record: a" in capsys.readouterr().err
    assert cli.main(["--version"]) == 0
