import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")


from pathlib import Path  # noqa: E402

_BROWSER_TESTS = Path(__file__).resolve().parent / "browser"


def pytest_ignore_collect(collection_path, config):
    """tests/browser drives Chromium through the built book (step 4 of .ci/test);
    it runs only when named on the command line (`pytest tests/browser`), not as
    part of `pytest tests`."""
    if collection_path.resolve() != _BROWSER_TESTS:
        return None
    root = config.invocation_params.dir
    named = [(root / str(a).split("::")[0]).resolve() for a in config.args]
    return True if not any(p == _BROWSER_TESTS or _BROWSER_TESTS in p.parents for p in named) else None
