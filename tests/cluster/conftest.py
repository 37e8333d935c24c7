"""Fixtures of the cluster-layer tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cluster.hanging import HangingListener


@pytest.fixture
def hanging() -> Iterator[HangingListener]:
    """A TCP listener on 127.0.0.1 that accepts every connection and never answers."""
    listener = HangingListener()
    try:
        yield listener
    finally:
        listener.stop()
