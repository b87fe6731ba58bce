"""What pytest means by a test, an async test and a setup hook: one place for doctor and steps.

Doctor's checks and the pytest steps (``add_asyncio_marker``, ``sync_setup_methods``,
``register_markers``) import these instead of keeping their own lists. Test names follow the
project's ``python_functions``, ``python_classes`` and ``python_files`` options as pytest reads
them (prefixes or glob patterns; a missing option means pytest's default).

>>> is_test_function("check_ping", "check_* test_*")
True
>>> is_test_file("ping_test.py", None)
True
"""

from __future__ import annotations

from fnmatch import fnmatchcase

#: Marks meaning "an async framework runs this test": asyncio covers it, the others opt out.
ASYNC_MARKS = frozenset({"asyncio", "anyio", "trio"})

#: Hooks pytest calls on test classes, and on test modules, without awaiting them.
CLASS_HOOKS = ("setup_method", "teardown_method", "setup_class", "teardown_class")
MODULE_HOOKS = ("setup_module", "teardown_module", "setup_function", "teardown_function")
#: Every setup/teardown name pytest (and its nose-style compatibility) calls.
HOOKS = frozenset({*CLASS_HOOKS, *MODULE_HOOKS, "setup", "teardown"})

#: Marks pytest itself registers (``pytest --markers`` with no plugins).
BUILTIN_MARKERS = frozenset(
    {
        "filterwarnings",
        "parametrize",
        "skip",
        "skipif",
        "tryfirst",
        "trylast",
        "usefixtures",
        "xfail",
    }
)

#: Marks registered by widely used plugins; never added to a project's `markers`.
PLUGIN_MARKERS = frozenset(
    {
        "anyio",  # anyio's pytest plugin
        "asyncio",  # pytest-asyncio
        "benchmark",  # pytest-benchmark
        "dependency",  # pytest-dependency
        "django_db",  # pytest-django
        "urls",
        "ignore_template_errors",
        "flaky",  # pytest-rerunfailures
        "forked",  # pytest-forked
        "freeze_time",  # pytest-freezer
        "httpx_mock",  # pytest-httpx
        "no_cover",  # pytest-cov
        "order",  # pytest-order
        "repeat",  # pytest-repeat
        "timeout",  # pytest-timeout
        "trio",  # pytest-trio
        "vcr",  # pytest-recording
        "default_cassette",
        "block_network",
        "xdist_group",  # pytest-xdist
        "hypothesis",  # hypothesis
        "respx",  # respx
        "celery",  # celery's pytest plugin
    }
)

#: pytest's defaults for the collection options.
DEFAULT_FUNCTIONS = "test"
DEFAULT_CLASSES = "Test"
DEFAULT_FILES = ("test_*.py", "*_test.py")


def _patterns(value: object) -> list[str] | None:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple):
        return [str(p) for item in value for p in str(item).split()]
    return None


def name_matches(name: str, patterns: object, default: str) -> bool:
    """pytest's ``python_functions``/``python_classes`` rule: a prefix, or a glob pattern."""
    for pattern in _patterns(patterns) or [default]:
        if name.startswith(pattern):
            return True
        if any(c in pattern for c in "*?[") and fnmatchcase(name, pattern):
            return True
    return False


def is_test_function(name: str, python_functions: object = None) -> bool:
    """Whether pytest collects a function (or method) called ``name`` as a test."""
    return name_matches(name, python_functions, DEFAULT_FUNCTIONS)


def is_test_class(name: str, python_classes: object = None) -> bool:
    """Whether pytest collects a class called ``name`` for tests."""
    return name_matches(name, python_classes, DEFAULT_CLASSES)


def is_test_file(filename: str, python_files: object = None) -> bool:
    """Whether pytest collects a file named ``filename`` as a test module (glob patterns)."""
    patterns = _patterns(python_files) or list(DEFAULT_FILES)
    return any(fnmatchcase(filename, pattern) for pattern in patterns)


def is_pytest_module(filename: str, python_files: object = None) -> bool:
    """A test module or a ``conftest.py``: the files pytest imports itself (with rootdir
    insertion of their base directory)."""
    return filename == "conftest.py" or is_test_file(filename, python_files)
