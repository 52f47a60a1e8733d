"""Where a measurement was taken: the CPU model, :class:`HostInfo` and how to read it for this process.

:func:`cpu_model_name` (from /proc/cpuinfo), :class:`HostInfo` (device, CPU/GPU model, torch
version, threads; stored with every result), :func:`host_info` and :func:`host_info_for`.
torch is imported only inside the functions that read it.
"""

from __future__ import annotations

import contextlib
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwsim.measure.timing import _pinned_threads

__all__ = ["HostInfo", "cpu_model_name", "host_info", "host_info_for"]


# ---------------------------------------------------------------------------------------------
# Host description
# ---------------------------------------------------------------------------------------------
def cpu_model_name() -> str:
    """The CPU model: ``model name`` of /proc/cpuinfo, else ``platform.processor()``, else ``unknown``."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() == "model name" and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


@dataclass(frozen=True)
class HostInfo:
    """Where a measurement was taken: printed with, and stored in, every result."""

    device: str  #: ``cpu`` or ``cuda``
    device_model: str  #: the CPU model (cpu) or the GPU name (cuda)
    cpu_model: str  #: the host CPU model, also for CUDA runs
    torch_version: str
    threads: int  #: ``torch.get_num_threads()`` during the measurement (intra-op CPU threads)
    python_version: str = ""
    platform: str = ""

    def describe(self) -> str:
        """One line: ``cpu: <model>, 2 threads, torch 2.13.0``."""
        return f"{self.device}: {self.device_model}, {self.threads} thread{'s' if self.threads != 1 else ''}, torch {self.torch_version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "device_model": self.device_model,
            "cpu_model": self.cpu_model,
            "torch_version": self.torch_version,
            "threads": self.threads,
            "python_version": self.python_version,
            "platform": self.platform,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HostInfo:
        return cls(
            device=str(data["device"]),
            device_model=str(data["device_model"]),
            cpu_model=str(data["cpu_model"]),
            torch_version=str(data["torch_version"]),
            threads=int(data["threads"]),
            python_version=str(data.get("python_version", "")),
            platform=str(data.get("platform", "")),
        )


def host_info(device: str = "cpu") -> HostInfo:
    """The :class:`HostInfo` of this process now (imports torch)."""
    import torch

    cpu = cpu_model_name()
    model = torch.cuda.get_device_name() if device == "cuda" else cpu
    return HostInfo(
        device=device,
        device_model=model,
        cpu_model=cpu,
        torch_version=str(torch.__version__).split("+")[0],
        threads=int(torch.get_num_threads()),
        python_version=platform.python_version(),
        platform=platform.platform(terse=True),
    )


def host_info_for(device: str, threads: int | None) -> HostInfo:
    """The :class:`HostInfo` a measurement on ``device`` with ``threads`` will record (threads pinned
    as the measurement pins them; ``None`` = torch's default)."""
    with _pinned_threads(threads):
        return host_info(device)

