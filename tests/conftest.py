"""Test-suite guards that hold whatever environment runs the tests."""

from __future__ import annotations

from collections import Counter

import pytest

# Hypothesis's pytest plugin wraps a test function's settings once per parametrized case
# (each wrapper's parent is the previous one). Under its CI profile, which Hypothesis loads
# when a CI variable such as ``CI`` is set, ``database=None`` defeats the settings cache, so
# every case walks the whole chain and a function with ~950 cases overflows the stack in CI
# only. Keeping each property test well under that makes the suite pass in both places.
MAX_CASES_PER_PROPERTY_TEST = 600


def _is_property_test(item: pytest.Item) -> bool:
    function = getattr(item, "obj", None)
    return getattr(function, "is_hypothesis_test", False) is True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse to run when a property test has more cases than Hypothesis in CI can take."""
    counts = Counter(
        item.nodeid.split("[", 1)[0] for item in items if _is_property_test(item)
    )
    too_many = {name: n for name, n in counts.items() if n > MAX_CASES_PER_PROPERTY_TEST}
    if too_many:
        listing = ", ".join(f"{name} ({n})" for name, n in sorted(too_many.items()))
        raise pytest.UsageError(
            f"property tests with more than {MAX_CASES_PER_PROPERTY_TEST} parametrized cases "
            f"overflow Hypothesis's settings chain in CI; split them: {listing}"
        )
