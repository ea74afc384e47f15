"""CPU facts llama.cpp needs: how many cores are free now, and whether its extra CPU buffer types are safe here.

llama.cpp's threads spin at barriers, so one more thread than there are free cores makes it collapse: threads
follow the cores free now, sampled over ~100 ms just before a generation (never the 1-minute load average, which
lags, counts processes that have exited and this process's own past). Its extra buffer types (AMX tiles, repacked weight layouts) are its fast CPU kernels, but a
build with AMX compiled in died with a general protection fault in libggml-cpu on a Sapphire Rapids VM; there they
are kept only when a throwaway subprocess has loaded and run the model with them (the verdict is cached).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ragkit.paths import cache_dir

log = logging.getLogger(__name__)

EXTRA_BUFFERS_ENV = "RAGKIT_LLAMA_EXTRA_BUFFERS"
"""1 forces llama.cpp's extra buffer types on, 0 off; unset lets `extra_buffers_safe` decide."""


SAMPLE_S = 0.1
"""How long the CPU is watched before a generation: long enough for the kernel's tick counters, short beside prefill."""
WINDOW_S = 2.0
"""The longest gap since the last look that still counts as now (beside a Qwen answer of 2 s or more, a fresh
SAMPLE_S watch costs under 5%)."""
TAKEN_AT = 0.5
"""A core counts as taken once other processes used at least this share of one during the sample."""


@dataclass(frozen=True)
class CpuReading:
    """Cumulative CPU seconds at one moment: busy on the cores this process may use, and this process's own."""

    wall_s: float
    busy_s: float
    own_s: float


def affinity_cores() -> list[int]:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def read_cpu(cores: list[int]) -> CpuReading:
    """Busy seconds of these cores (psutil's /proc/stat: everything but idle and iowait, guest time counted once in
    user; steal is busy, the hypervisor gave the core away) and this process's user + system seconds."""
    import psutil

    per_cpu = psutil.cpu_times(percpu=True)
    busy = 0.0
    for core in cores:
        t = per_cpu[core] if core < len(per_cpu) else None
        if t is not None:
            idle = t.idle + getattr(t, "iowait", 0.0)
            guest = getattr(t, "guest", 0.0) + getattr(t, "guest_nice", 0.0)
            busy += sum(t) - guest - idle
    own = psutil.Process().cpu_times()
    return CpuReading(time.monotonic(), busy, own.user + own.system)


def others_busy(before: CpuReading, after: CpuReading) -> float:
    """Cores' worth of CPU that other processes used between two readings; this process's own use (its just-idle
    OpenMP or llama.cpp pools still spinning, its other threads) is left out."""
    wall = after.wall_s - before.wall_s
    if wall <= 0:
        return 0.0
    others = (after.busy_s - before.busy_s) - (after.own_s - before.own_s)
    return max(0.0, others / wall)


class CpuWatch:
    """Others' CPU use since this process last looked, when that was at least `interval` and at most WINDOW_S ago,
    so back-to-back generations (a server, a benchmark loop) measure the gap between them instead of sleeping
    SAMPLE_S each (about 20% of a short Gemma answer); after a longer pause it watches afresh for `interval`."""

    def __init__(self, read: Callable[[list[int]], CpuReading] = read_cpu,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self._read, self._sleep, self._clock = read, sleep, clock
        self._last: tuple[list[int], CpuReading] | None = None
        self._lock = threading.Lock()

    def sample(self, interval: float = SAMPLE_S) -> tuple[int, float]:
        """(cores this process may use, cores' worth of them other processes are using now)."""
        cores = affinity_cores()
        with self._lock:
            before = self._last[1] if self._last and self._last[0] == cores else None
            if before is None or self._clock() - before.wall_s > WINDOW_S:
                before = self._read(cores)
            wait = interval - (self._clock() - before.wall_s)
            if wait > 0:
                self._sleep(wait)
            after = self._read(cores)
            self._last = (cores, after)
        return len(cores), others_busy(before, after)


_WATCH = CpuWatch()


def sample_cpu(interval: float = SAMPLE_S) -> tuple[int, float]:
    """(cores this process may use, cores' worth of them other processes are using now), from the process's watch."""
    return _WATCH.sample(interval)


Sampler = Callable[[], tuple[int, float]]


def free_cores(sample: Sampler | None = None) -> int:
    """Threads to run now: every core this process may use, less those other processes are measurably busy on
    (at least 1). `sample` defaults to watching the CPU for SAMPLE_S (tests inject a fake)."""
    cores, busy = (sample or sample_cpu)()
    taken = math.floor(busy + 1 - TAKEN_AT)
    return max(1, min(cores, cores - taken))


def cpu_flags() -> set[str]:
    """The CPU feature flags the kernel reports (empty where /proc/cpuinfo is missing)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def build_has_amx(system_info: str) -> bool:
    """Whether a llama.cpp build's CPU backend has AMX compiled in (`llama_print_system_info` lists AMX_INT8 = 1)."""
    return "AMX_INT8 = 1" in system_info


def extra_buffers_decision(flags: set[str], system_info: str, probe: Callable[[], bool]) -> bool:
    """Keep the extra buffer types unless AMX is both on the CPU and in the build and the subprocess probe
    (only run then) crashed; elsewhere no crash is known and the repacked kernels are the fast path."""
    forced = os.environ.get(EXTRA_BUFFERS_ENV)
    if forced in ("0", "1"):
        return forced == "1"
    if "amx_tile" not in flags or not build_has_amx(system_info):
        return True
    return probe()


_PROBE = """
import sys
import llama_cpp
llama = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=256, n_threads=1, verbose=False)
llama.create_completion("The capital of France is", max_tokens=4, temperature=0.0)
"""


def probe_extra_buffers(model_path: str, timeout: float = 300.0) -> bool:
    """Load and run a model with the extra buffer types in a subprocess; True when it exits cleanly."""
    env = {**os.environ, EXTRA_BUFFERS_ENV: "1"}
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, model_path], env=env, capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return False
    if done.returncode != 0:
        log.warning("llama.cpp's extra CPU buffer types crashed here (exit %s): running without them",
                    done.returncode)
    return done.returncode == 0


@functools.cache
def extra_buffers_safe(model_path: str) -> bool:
    """The decision for this machine and llama.cpp build, probed at most once per build and CPU (cached on disk)."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    flags = cpu_flags()
    key = hashlib.sha256(json.dumps([llama_cpp.__version__, info, sorted(flags),
                                     _library_stamp(llama_cpp.__file__)]).encode()).hexdigest()[:16]
    record = cache_dir() / f"llama-extra-buffers-{key}.json"

    def probe() -> bool:
        if record.is_file():
            return bool(json.loads(record.read_text())["safe"])
        safe = probe_extra_buffers(model_path)
        record.write_text(json.dumps({"safe": safe, "llama_cpp": llama_cpp.__version__}))
        return safe

    return extra_buffers_decision(flags, info, probe)


def _library_stamp(package_file: str) -> list[float]:
    """Modification times of the native libraries, so a rebuilt llama-cpp-python is probed again."""
    lib = Path(package_file).parent / "lib"
    return sorted(p.stat().st_mtime for p in lib.glob("*.so*")) if lib.is_dir() else []
