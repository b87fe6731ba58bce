"""codemods: declarative, safe Python codemods driven by YAML recipes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("codemods")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0+checkout"
