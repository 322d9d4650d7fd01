"""Shared helpers of the benchmarks: process figures, percentiles, printing."""

from __future__ import annotations

import platform
import resource
import statistics
from pathlib import Path

import psutil


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float(psutil.Process(pid).memory_info().rss) / 2**20


def cpu_seconds(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return float(t.user) + float(t.system)


def main_thread_seconds(pid: int) -> float:
    """CPU of a process's first thread: the hub's event loop (its store threads are others)."""
    for t in psutil.Process(pid).threads():
        if t.id == pid:
            return float(t.user_time) + float(t.system_time)
    return 0.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, int(p) - 1))]


def raise_open_files(wanted: int) -> int:
    """Soft and hard RLIMIT_NOFILE to `wanted` (children inherit it: a connection is a file).
    Raising the hard limit needs CAP_SYS_RESOURCE; without it, as far as the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), max(hard, wanted)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, wanted), hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine() -> str:
    return f"{platform.node()}: {psutil.cpu_count()} CPU, {psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}"
