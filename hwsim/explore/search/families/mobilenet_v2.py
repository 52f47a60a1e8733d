"""The MobileNet v2 search family: inverted residual bottlenecks over the 7 stages of Table 2.

:data:`MOBILENET_V2` is the :class:`~hwsim.explore.search.families.base.Family`: the paper's 17
bottlenecks spread over the 7 rows of Table 2, (expansion, channels, first stride) (1, 16, 1)
(6, 24, 2) (6, 32, 2) (6, 64, 2) (6, 96, 1) (6, 160, 2) (6, 320, 1)
(:mod:`hwsim.models.mobilenet_spec`), at least one each; the width multiplier and the input
resolution (pixels) as settings; the paper's n = 1-2-3-4-3-3-1 marked as ``paper``. Candidates
are spliced from the templates of one traced reference network
(:mod:`~hwsim.explore.search.families.staged`); no torch is needed once they are cached.
"""

from hwsim.explore.search.families.mobilenet import mobilenet_family
from hwsim.models.mobilenet_spec import V2_BLOCKS, V2_STAGES

__all__ = ["MOBILENET_V2", "NETWORKS"]

#: How MobileNet v2 networks are traced, cut into templates and assembled, and the family: 17
#: bottlenecks over 7 stages, width and resolution as settings.
NETWORKS, MOBILENET_V2 = mobilenet_family(
    "mobilenet_v2", "MobileNet v2", V2_STAGES, V2_BLOCKS, "Table 2", "16, 24, 32, 64, 96, 160, 320",
    "Published network (Sandler et al. 2018, Table 2)", "bottleneck blocks",
)
