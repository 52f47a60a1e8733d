"""The choices of ``hwsim profile --plot --by`` (:mod:`hwsim.plots.profile` draws them), in a
module of their own so that the CLI's parser can list them without loading the plotting code."""

from __future__ import annotations

__all__ = ["AUTO_MAX_BARS", "BY_CHOICES"]

#: What one bar stands for.
BY_CHOICES: tuple[str, ...] = ("auto", "layer", "block", "stage")
#: Most bars ``by="auto"`` draws before grouping layers into blocks, then stages.
AUTO_MAX_BARS = 40
