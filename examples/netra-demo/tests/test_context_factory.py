"""Context construction through the classmethod, written before it was renamed `from_request`."""

from netra_backend.app.services.user_execution_context import UserExecutionContext


def test_classmethod_factory():
    ctx = UserExecutionContext.create_for_user(user_id="u1", request_id="r1", source="ws")
    assert ctx.metadata == {"source": "ws"}
