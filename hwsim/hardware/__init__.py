"""Accelerators: the validated specification (:mod:`~hwsim.hardware.spec`), one-line schema errors
(:mod:`~hwsim.hardware.validation`), strict YAML (:mod:`~hwsim.hardware.yaml_reader`), SCALE-Sim
``.cfg`` files (:mod:`~hwsim.hardware.scalesim_config`), lookup by name or path
(:mod:`~hwsim.hardware.load`), and where a spec's values come from (:mod:`~hwsim.hardware.describe`).
Never imports torch.
"""

from hwsim.hardware.load import accelerator_names, load_accelerator
from hwsim.hardware.spec import Accelerator, accelerator_from_dict

__all__ = ["Accelerator", "accelerator_from_dict", "accelerator_names", "load_accelerator"]
