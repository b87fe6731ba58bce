"""Uses a marker nobody registered: collection fails under --strict-markers."""

import pytest


@pytest.mark.backend
def test_routes_are_listed():
    assert sorted(["/b", "/a"]) == ["/a", "/b"]
