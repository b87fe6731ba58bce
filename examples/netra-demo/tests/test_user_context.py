"""Context construction, written before `session_id` became `request_id`."""

from netra_backend.app.services import user_execution_context as uec_module
from netra_backend.app.services.user_execution_context import UserExecutionContext
from netra_backend.app.services.user_execution_context import UserExecutionContext as UEC


def test_plain_call():
    ctx = UserExecutionContext(user_id="u1", session_id="s1")
    assert ctx.request_id == "s1"


def test_alias_multiline_call():
    extra = {"thread_id": "t1"}
    ctx = UEC(
        user_id="u2",
        session_id="s2",  # came from the websocket handshake
        **extra,
    )
    assert ctx.thread_id == "t1"


def test_module_attribute_and_classmethod():
    a = uec_module.UserExecutionContext(user_id="u3", session_id="s3")
    b = UserExecutionContext.from_request(user_id="u3", session_id="s3")
    assert a.request_id == b.request_id


class FakeContext:
    """A test double: its own `session_id` keyword is fine and must stay."""

    def __init__(self, session_id):
        self.session_id = session_id


def test_double_is_untouched():
    assert FakeContext(session_id="s4").session_id == "s4"
