"""hwsim.explore.search.families.base: a family definition is checked once, when it is made."""

from __future__ import annotations

import dataclasses

import pytest

from hwsim.explore.search.families.base import Choice, Published, Setting, Variant
from tests.explore.search.toy_family import CHAIN


def test_choice_values_text_and_formats() -> None:
    kernel = Choice("kernel", (1, 3), (3,), cell="{value}x{value}", prose="k={value}")
    assert (kernel.value_of("3"), kernel.value_of(" 1"), kernel.value_of("5"), kernel.value_of("x")) == (3, 1, None, None)
    assert (kernel.show(3), kernel.say(3)) == ("3x3", "k=3")
    style = Choice("style", ("v1", "v5"), ("v1",))
    assert (style.value_of("V5"), style.show("v5"), style.say("v5")) == ("v5", "v5", "style v5")


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(values=()),  # nothing to choose
        dict(values=(1, 1)),
        dict(values=(1, "1")),  # the same text in the CSV
        dict(values=(True, False)),
        dict(values=(1.5, 2.5)),
        dict(default=()),
        dict(default=(5,)),  # not a value
    ],
)
def test_bad_choices_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Choice(**{"name": "kernel", "values": (1, 3), "default": (1,), **kwargs})


@pytest.mark.parametrize(
    "changes",
    [
        dict(name="Chain"),  # not lower case
        dict(name="my-chain"),  # not an identifier
        dict(stages=0),
        dict(blocks_total=1),  # fewer blocks than the default stages
        dict(max_stages=1),  # below the default stages
        dict(choices=(*CHAIN.choices, Choice("kernel", (5,), (5,)))),  # two choices with one name
        dict(settings=(Setting("kernel", 1),)),  # a setting named as a choice
        dict(settings=(Setting("cycles", 1),)),  # a CSV column of the search
        dict(choices=(Choice("rank", (1,), (1,)),)),
        dict(settings=(Setting("fast", False, per_row=True),)),  # a bool cannot be read back from the CSV
        dict(published=(Published("p", (1, 1), (5,)),)),  # kernel 5 is not a value
        dict(published=(Published("p", (1, 1)),)),  # no kernel
        dict(published=(Published("p", (1, 1), (1,)), Published("p", (2, 2), (3,)))),  # one label twice
    ],
)
def test_bad_families_are_refused(changes: dict) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(CHAIN, **changes)


def test_variant_settings() -> None:
    variant = Variant(2, (("channels", 8), ("classes", 10)), (3,))
    assert (variant.setting("channels"), variant.setting("classes")) == (8, 10)
    with pytest.raises(KeyError):
        variant.setting("width")
    assert CHAIN.default_settings == {"channels": 8} and CHAIN.choice("kernel").default == (1, 3)
