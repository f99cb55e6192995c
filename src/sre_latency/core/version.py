"""The package version (``sre_latency.__version__``), here so that low layers can name it."""

__version__ = "0.1.0"
