"""Test-suite settings: hypothesis without per-example deadlines (CI machines are shared and slow)."""

from hypothesis import settings

settings.register_profile("hwsim", deadline=None)
settings.load_profile("hwsim")
