"""User model files: :func:`load_factory` builds an ``nn.Module`` from ``path/to/file.py:factory``.

:func:`source_of` gives back the ``file.py:factory`` a module was built from, so later errors
(tracing, measuring) can name the user's file rather than the factory's name alone.
"""

from __future__ import annotations

import importlib.util
import sys
import weakref
from pathlib import Path

from torch import nn

from hwsim.errors import GraphFileError, missing_extra, user_code
from hwsim.export.tracing import _one_line

#: ``file.py:factory`` of each module :func:`load_factory` returned (weak: never keeps one alive).
_SOURCES: weakref.WeakKeyDictionary[nn.Module, str] = weakref.WeakKeyDictionary()


def source_of(module: nn.Module) -> str | None:
    """The ``path/to/file.py:factory`` ``module`` was built from by :func:`load_factory`, else None."""
    try:
        return _SOURCES.get(module)
    except TypeError:  # an object that cannot be weakly referenced
        return None


def _imports_torch(exc: BaseException) -> bool:
    """Whether ``exc`` is torch missing (the user's file imports it): the hint of hwsim's own torch import."""
    return isinstance(exc, ImportError) and exc.name == "torch"


def load_factory(spec: str) -> nn.Module:
    """Build a user model from ``path/to/file.py:factory``.

    ``factory`` is a function or class called with no arguments that returns an ``nn.Module``
    (an ``nn.Module`` instance bound to that name is taken as is). The file is imported by path.
    Every problem raises :class:`GraphFileError` with a one-line message; a file or factory that
    calls ``sys.exit`` raises :class:`~hwsim.errors.UserCodeError` (hwsim does not exit with it).
    """
    path_text, sep, attr = spec.rpartition(":")
    if not sep or not path_text or not attr:
        raise GraphFileError(f"{spec}: expected a model factory as path/to/file.py:factory")
    path = Path(path_text)
    if not path.is_file():
        raise GraphFileError(f"{path}: model file not found: expected an existing path/to/file.py")
    module_name = f"hwsim_user_model_{abs(hash(str(path.resolve())))}"
    import_spec = importlib.util.spec_from_file_location(module_name, path)
    if import_spec is None or import_spec.loader is None:
        raise GraphFileError(f"{path}: cannot import (expected a Python .py file)")
    user_module = importlib.util.module_from_spec(import_spec)
    sys.modules[module_name] = user_module
    with user_code(f"{path}: the model file", "while being imported"):
        try:
            import_spec.loader.exec_module(user_module)
        except SystemExit:
            sys.modules.pop(module_name, None)
            raise
        except Exception as exc:  # a user file can raise anything; report it on one line
            sys.modules.pop(module_name, None)
            missing = missing_extra(exc, f"the model file {path}") if _imports_torch(exc) else None
            raise missing or GraphFileError(f"{path}: import failed: {_one_line(exc)}; expected a Python file that imports cleanly") from None
    if not hasattr(user_module, attr):
        defined = sorted(n for n, v in vars(user_module).items() if callable(v) and not n.startswith("_"))
        raise GraphFileError(f"{path}: no attribute {attr!r}: expected a function or class of that name that builds the model (callables defined: {', '.join(defined) or 'none'})")
    factory = getattr(user_module, attr)
    if isinstance(factory, nn.Module):
        _SOURCES[factory] = spec
        return factory
    if not callable(factory):
        raise GraphFileError(f"{spec}: {attr!r} is a {type(factory).__name__}, expected a function or class")
    with user_code(f"{spec}: the factory"):
        try:
            model = factory()
        except Exception as exc:  # the user's factory can raise anything
            raise GraphFileError(f"{spec}: factory raised {_one_line(exc)}; expected it to return an nn.Module") from None
    if not isinstance(model, nn.Module):
        raise GraphFileError(f"{spec}: factory returned {type(model).__name__}, expected a torch.nn.Module")
    _SOURCES[model] = spec
    return model
