"""hwsim: hardware-aware performance simulator and latency profiler for CNNs.

``import hwsim`` never imports torch; only exporting or measuring a PyTorch model does.
"""

__version__ = "0.1.0"
