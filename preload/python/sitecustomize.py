# SPDX-License-Identifier: MIT
"""flaketrap's start-up hook for Python (flaketrap run puts its directory
first on PYTHONPATH; --python-hook=off leaves it out).

It tells libflaketrap.so which test runs, with no edit to the tests:
unittest's TestResult.startTest/stopTest (python -m unittest, CPython's
python -m test, whose result classes call them through super()) and
pytest's pytest_runtest_logstart/logfinish (a plugin registered on each
configuration pytest makes); a test's own inner tests are not told. Each thread and child made
in a test then carries its name, and the library writes at the test's end
those still alive.

At start-up it only takes its directory out of sys.path (which is then
what it would have been without it), runs the system's own sitecustomize
(Debian's, /etc/python3.11/sitecustomize.py), and puts a finder in front
of sys.meta_path that waits for unittest.result and _pytest.config to be
imported. ctypes is loaded at the first test only.
"""

import sys


def _flaketrap_setup():
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    for i, entry in enumerate(sys.path):
        if entry and os.path.abspath(entry) == here:
            del sys.path[i]
            break
    sys.meta_path.insert(0, _Finder())
    _chain()


def _chain():
    """Run the sitecustomize this one hides, as site would have."""
    # importlib's own modules, loaded already: importlib.util would cost
    # more than all the rest of this hook.
    try:
        from _frozen_importlib import module_from_spec
        from _frozen_importlib_external import PathFinder
    except ImportError:
        from importlib.machinery import PathFinder
        from importlib.util import module_from_spec

    spec = PathFinder.find_spec("sitecustomize", sys.path)
    if spec is None:
        return
    module = module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


# The library's two functions: None until the first test, then a pair, or
# False when the library is not loaded (the process was started without
# it, or LD_PRELOAD was cleared).
_api = None
# What began the test told to the library, or None. Tests inside a test
# (unittest's own tests run suites, and call startTest on results, of
# their own) are not told: only the end of the one that began ends it.
_current = None


def _library():
    global _api
    if _api is None:
        try:
            import ctypes

            # The process's global scope: the preloaded library's symbols.
            # A ctypes call lets go of the GIL: the end may wait for a
            # thread that needs it to finish.
            lib = ctypes.CDLL(None)
            begin, end = lib.flaketrap_test_begin, lib.flaketrap_test_end
            begin.argtypes, begin.restype = [ctypes.c_char_p], None
            end.argtypes, end.restype = [], None
            _api = (begin, end)
        except (ImportError, OSError, AttributeError):
            _api = False
    return _api


def _begin(token, name):
    global _current
    if _current is None and _library():
        _current = token
        _api[0](_encode(name))


def _end(token):
    global _current
    if _current is not None and _current == token:
        _current = None
        _api[1]()


def _encode(name):
    if not isinstance(name, str):
        name = str(name)
    return name.encode("utf-8", "surrogateescape")


def _test_name(test):
    try:
        return test.id()
    except Exception:
        return str(type(test).__name__)


def _patch_unittest(module):
    cls = module.TestResult
    start_test, stop_test = cls.startTest, cls.stopTest

    # The result and the test: a test that drives a result of its own
    # with itself (unittest's tests do) is another pair.
    def startTest(self, test):
        _begin((id(self), id(test)), _test_name(test))
        start_test(self, test)

    def stopTest(self, test):
        try:
            stop_test(self, test)
        finally:
            _end((id(self), id(test)))

    for new, old in ((startTest, start_test), (stopTest, stop_test)):
        new.__name__, new.__qualname__ = old.__name__, old.__qualname__
        new.__doc__, new.__wrapped__ = old.__doc__, old
    cls.startTest, cls.stopTest = startTest, stopTest


class _PytestPlugin:
    """Around each test item: setup, call and teardown."""

    def pytest_runtest_logstart(self, nodeid, location):
        _begin(("pytest", nodeid), nodeid)

    def pytest_runtest_logfinish(self, nodeid, location):
        _end(("pytest", nodeid))


def _patch_pytest(module):
    get_config = module.get_config

    def wrapped(*args, **kwargs):
        config = get_config(*args, **kwargs)
        if not config.pluginmanager.has_plugin("flaketrap"):
            config.pluginmanager.register(_PytestPlugin(), "flaketrap")
        return config

    wrapped.__name__, wrapped.__qualname__ = "get_config", get_config.__qualname__
    wrapped.__doc__, wrapped.__wrapped__ = get_config.__doc__, get_config
    module.get_config = wrapped


_WATCHED = {"unittest.result": _patch_unittest, "_pytest.config": _patch_pytest}


class _Finder:
    """Finds nothing itself: when a watched module is found by the finders
    after it, its loader is made to patch the module once executed."""

    def find_spec(self, name, path=None, target=None):
        patch = _WATCHED.get(name)
        if patch is None:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        # Only a loader object of this module (a source or bytecode file):
        # its exec_module is shadowed for this one call, then restored.
        if loader is None or isinstance(loader, type) or not hasattr(
            loader, "__dict__"
        ):
            return spec
        exec_module = loader.exec_module

        def exec_and_patch(module):
            try:
                exec_module(module)
            finally:
                loader.__dict__.pop("exec_module", None)
            patch(module)

        loader.exec_module = exec_and_patch
        return spec

    def invalidate_caches(self):
        pass


try:
    _flaketrap_setup()
finally:
    del _flaketrap_setup
