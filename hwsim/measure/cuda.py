"""The CUDA-only part of measuring: capturing a forward pass into a CUDA graph and timing its replays.

:func:`_cuda_graph_runner` (warm-up on a side stream, then capture) and :func:`_time_cuda`
(CUDA events around each pass, one synchronize at the end; seconds). Not run on the machines it
was written on (no GPU). torch is imported only inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from torch import nn

    from hwsim.measure.timing import _Ticker


def _time_cuda(run: Callable[[], Any], warmup: int, repeats: int, ticker: _Ticker) -> tuple[float, ...]:
    """CUDA events around each pass; one synchronize at the end (untested here: no GPU)."""
    import torch

    for _ in range(warmup):
        run()
        ticker.tick()
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    for start, end in zip(starts, ends):
        start.record()
        run()
        end.record()
        ticker.tick()
    torch.cuda.synchronize()
    return tuple(start.elapsed_time(end) * 1e-3 for start, end in zip(starts, ends))  # ms -> s


def _cuda_graph_runner(module: nn.Module, example: torch.Tensor, warmup: int) -> Callable[[], Any]:
    """Capture one forward pass into a CUDA graph and return its replay (untested here: no GPU).

    Warm-up runs on a side stream first (as torch.cuda.graphs requires for lazy initialisation
    of cuDNN/cuBLAS handles and the caching allocator), then the capture on the default
    capture stream; the static input tensor is the one captured.
    """
    import torch

    static_input = example.clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(max(warmup, 3)):
            module(static_input)
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()
    cuda_graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(cuda_graph):
        module(static_input)
    return cuda_graph.replay

