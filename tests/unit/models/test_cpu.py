"""When llama.cpp's extra CPU buffer types stay on, and how many threads it gets (from a faked CPU sample)."""

import pytest

from ragkit.models.cpu import (
    EXTRA_BUFFERS_ENV,
    CpuReading,
    CpuWatch,
    affinity_cores,
    build_has_amx,
    extra_buffers_decision,
    free_cores,
    others_busy,
    sample_cpu,
)

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


@pytest.mark.parametrize(("cores", "busy", "expected"), [
    (2, 0.0, 2), (2, 0.3, 2),  # idle, or a little background noise: every core
    (2, 1.0, 1), (2, 0.6, 1),  # half-busy: one core taken
    (2, 2.0, 1), (2, 7.5, 1),  # busy: never fewer than one thread
    (8, 4.0, 4), (8, 0.0, 8), (1, 0.0, 1),
])
def test_threads_follow_the_cores_free_now(cores: int, busy: float, expected: int) -> None:
    assert free_cores(lambda: (cores, busy)) == expected


def test_the_load_average_plays_no_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.getloadavg", lambda: (9.0, 9.0, 9.0))  # a finished process's lingering load
    assert free_cores(lambda: (2, 0.0)) == 2


def test_this_process_own_use_is_not_counted_as_another_process() -> None:
    before, after = CpuReading(10.0, 100.0, 5.0), CpuReading(10.1, 100.2, 5.2)  # both cores busy: all of it ours
    assert others_busy(before, after) == pytest.approx(0.0)
    busy_elsewhere = CpuReading(10.1, 100.2, 5.1)  # half of it was another process: one core's worth
    assert others_busy(before, busy_elsewhere) == pytest.approx(1.0)
    assert free_cores(lambda: (2, others_busy(before, busy_elsewhere))) == 1


def test_the_real_sampler_reads_this_machine() -> None:
    cores, busy = sample_cpu(0.05)
    assert cores == len(affinity_cores()) >= 1 and 0.0 <= busy <= cores + 0.5
    assert 1 <= free_cores() <= cores


class FakeCpu:
    """A clock and /proc/stat that tests move by hand: another process busy on `others` cores, this one on `own`."""

    def __init__(self, others: float, own: float = 0.0) -> None:
        self.now, self.busy, self.own_s, self.others, self.own, self.slept = 100.0, 0.0, 0.0, others, own, 0.0

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.busy += (self.others + self.own) * seconds
        self.own_s += self.own * seconds

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.advance(seconds)

    def read(self, cores: list[int]) -> CpuReading:
        return CpuReading(self.now, self.busy, self.own_s)


def test_back_to_back_generations_measure_the_gap_instead_of_sleeping() -> None:
    cpu = FakeCpu(others=1.0, own=1.0)  # our generation on one core, another process on the other
    watch = CpuWatch(read=cpu.read, sleep=cpu.sleep, clock=lambda: cpu.now)
    assert watch.sample(0.1)[1] == pytest.approx(1.0) and cpu.slept == pytest.approx(0.1)  # first look: watched
    cpu.advance(1.5)  # a generation later
    assert watch.sample(0.1)[1] == pytest.approx(1.0) and cpu.slept == pytest.approx(0.1)  # no sleep this time
    cpu.advance(0.04)  # too short a gap: topped up to the interval
    watch.sample(0.1)
    assert cpu.slept == pytest.approx(0.16)


def test_after_a_long_pause_the_watch_starts_afresh() -> None:
    cpu = FakeCpu(others=0.0)
    watch = CpuWatch(read=cpu.read, sleep=cpu.sleep, clock=lambda: cpu.now)
    watch.sample(0.1)
    cpu.others = 2.0
    cpu.advance(60.0)  # busy for a minute, then idle just before the next question
    cpu.others = 0.0
    assert watch.sample(0.1)[1] == pytest.approx(0.0)  # the present, not the last minute
