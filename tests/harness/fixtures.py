"""Pytest fixtures of the harness (registered for the whole suite in ``tests/conftest.py``).

- ``moto_server`` (session): one moto server per test process;
- ``harness_for`` (module): ``harness_for(stack)`` synthesizes the stack's app and returns a
  :class:`tests.harness.harness.Harness` for it; every harness of the module is closed when the module
  ends, and the module fails if a stand-in faulted, a runtime broke the Runtime API protocol or a function
  called a service that has no stand-in.

The harness modules are imported when a fixture is first used, so tests that do not use them pay nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.harness.harness import Harness
    from tests.harness.moto_backend import MotoBackend


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoBackend]:
    """moto's server on 127.0.0.1 for this test process."""
    from tests.harness.moto_backend import MotoBackend

    backend = MotoBackend().start()
    try:
        yield backend
    finally:
        backend.stop()


@pytest.fixture(scope="module")
def harness_for(moto_server: MotoBackend) -> Iterator[Callable[..., Harness]]:
    """A factory ``harness_for(stack, catalog=None) -> Harness``; all are closed and checked at module end."""
    from tests.harness.assembly import SynthesizedStack
    from tests.harness.harness import Harness
    from tests.harness.tripwire import Tripwire

    tripwire = Tripwire().start()
    made: list[Harness] = []

    def factory(stack: Any, catalog: Any = None) -> Harness:
        harness = Harness(SynthesizedStack.synth(stack), moto=moto_server, tripwire=tripwire, catalog=catalog)
        made.append(harness)
        return harness

    try:
        yield factory
    finally:
        problems = [problem for harness in made for problem in harness.problems()]
        for harness in made:
            harness.close()
        tripwire.stop()
        assert not problems, "harness problems:\n" + "\n".join(problems)
