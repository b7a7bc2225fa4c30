"""Property-based fuzzing (small CI profile; benchmarks/fuzz.py runs >= 5,000
cases): mutated parameter files, experiment files, command lines, gait tables
and OpenSim files give a one-line pelvisim error or a finite result, never
another exception, a hang or a NaN."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import fuzzing as F

CI = settings(max_examples=40, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module", autouse=True)
def _kernels():
    F.warm_up()


def _check(outcome):
    assert not outcome.startswith("BAD"), outcome


@CI
@given(F.mutated_toml(F.PARAMS_TEXT))
def test_fuzz_parameter_file(text):
    _check(F.params_case(text))


@CI
@given(F.mutated_toml(F.TINY_EXPERIMENT))
def test_fuzz_experiment_file(text):
    _check(F.experiment_case(text))


@CI
@given(st.sampled_from(sorted(F.EXPERIMENT_TEXTS)).flatmap(
    lambda n: F.mutated_toml(F.EXPERIMENT_TEXTS[n])))
def test_fuzz_shipped_experiments(text):
    _check(F.experiment_case(text))


@CI
@given(F.cli_args())
def test_fuzz_command_line(argv):
    _check(F.cli_case(argv))


@CI
@given(F.mutated_csv())
def test_fuzz_gait_table(text):
    _check(F.gait_case(text))


@CI
@given(F.opensim_text(), st.sampled_from([".sto", ".mot"]))
def test_fuzz_opensim_file(text, suffix):
    _check(F.opensim_case(text, suffix))


@CI
@given(F.mutated_result())
def test_fuzz_result_file_for_plot(case):
    _check(F.plot_case(case))
