"""Half-migrated by a regex script that wrote a literal backslash-n."""

from netra_backend.app.services.user_execution_context import UserExecutionContext


def test_context():
    ctx = UserExecutionContext(user_id="u", session_id="s")\n    assert ctx
