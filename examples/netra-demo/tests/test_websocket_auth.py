"""WebSocket authentication tests, still using the old `auth_handshake` marker."""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.auth_handshake]


@pytest.mark.auth_handshake
def test_token_is_checked():
    assert "token".startswith("tok")


@pytest.mark.parametrize(
    "token",
    ["valid", pytest.param("expired", marks=pytest.mark.auth_handshake)],
)
def test_token_shapes(token):
    assert token
