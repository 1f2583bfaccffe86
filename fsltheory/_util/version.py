"""The installed package version, without importing the package root."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fsltheory")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
