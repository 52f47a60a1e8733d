"""The MobileNet v1 search family: depthwise-separable pairs over the 5 stages of Table 1.

:data:`MOBILENET_V1` is the :class:`~hwsim.explore.search.families.base.Family`: the paper's 13
pairs spread over its 5 stages of (first stride, pointwise channels) (1, 64) (2, 128) (2, 256)
(2, 512) (2, 1024) (:mod:`hwsim.models.mobilenet_spec`), at least one pair each; the width
multiplier alpha and the input resolution (the paper's resolution multiplier rho, in pixels) as
settings; the paper's 1-2-2-6-2 marked as ``paper``. Candidates are spliced from the templates of
one traced reference network (:mod:`~hwsim.explore.search.families.staged`); no torch is needed
once they are cached.
"""

from hwsim.explore.search.families.mobilenet import mobilenet_family
from hwsim.models.mobilenet_spec import V1_BLOCKS, V1_STAGES

__all__ = ["MOBILENET_V1", "NETWORKS"]

#: How MobileNet v1 networks are traced, cut into templates and assembled, and the family: 13
#: separable pairs over 5 stages, width and resolution as settings.
NETWORKS, MOBILENET_V1 = mobilenet_family(
    "mobilenet_v1", "MobileNet v1", V1_STAGES, V1_BLOCKS, "Table 1", "64, 128, 256, 512, 1024",
    "Published network (Howard et al. 2017, Table 1)", "depthwise-separable pairs",
)
