"""When llama.cpp's extra CPU buffer types stay on, and how many threads it gets."""

import pytest

from ragkit.models.cpu import EXTRA_BUFFERS_ENV, build_has_amx, extra_buffers_decision, free_cores

pytestmark = pytest.mark.unit

AMX_BUILD = "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | REPACK = 1 |"
PLAIN_BUILD = "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | REPACK = 1 |"


class _Probe:
    def __init__(self, safe: bool):
        self.safe, self.runs = safe, 0

    def __call__(self) -> bool:
        self.runs += 1
        return self.safe


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EXTRA_BUFFERS_ENV, raising=False)


def test_without_amx_on_the_cpu_the_extra_buffers_stay_on_unprobed() -> None:
    probe = _Probe(False)
    assert extra_buffers_decision({"avx2", "fma"}, AMX_BUILD, probe) and probe.runs == 0


def test_a_build_without_amx_keeps_the_repacked_kernels_on_an_amx_cpu() -> None:
    probe = _Probe(False)
    assert extra_buffers_decision({"avx512f", "amx_tile", "amx_int8"}, PLAIN_BUILD, probe) and probe.runs == 0


@pytest.mark.parametrize("safe", [True, False])
def test_amx_on_cpu_and_in_build_follows_the_subprocess_probe(safe: bool) -> None:
    probe = _Probe(safe)
    assert extra_buffers_decision({"amx_tile", "amx_int8"}, AMX_BUILD, probe) is safe and probe.runs == 1


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("1", True)])
def test_the_environment_overrides_the_decision(value: str, expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXTRA_BUFFERS_ENV, value)
    probe = _Probe(not expected)
    assert extra_buffers_decision({"amx_tile"}, AMX_BUILD, probe) is expected and probe.runs == 0


def test_build_has_amx_reads_the_system_info() -> None:
    assert build_has_amx(AMX_BUILD) and not build_has_amx(PLAIN_BUILD)


@pytest.mark.parametrize(("load", "expected"), [(0.0, 2), (0.6, 1), (1.4, 1), (5.0, 1)])
def test_threads_follow_the_free_cores(load: float, expected: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr("os.getloadavg", lambda: (load, 0.0, 0.0))
    assert free_cores() == expected
