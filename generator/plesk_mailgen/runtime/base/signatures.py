"""One parameter list for two functions: ``connect`` and ``connect_async``.

Light on purpose (nothing but ``inspect``): the package applies it at import.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def same_parameters(
    model: Callable[P, object],
) -> Callable[[Callable[..., T]], Callable[P, T]]:
    """Give a function ``model``'s parameters (for type checkers and ``help()``).

    ``connect_async`` takes exactly ``connect``'s arguments: written once.
    """

    def decorate(func: Callable[..., T]) -> Callable[P, T]:
        signature = inspect.signature(model)
        func.__signature__ = signature.replace(  # type: ignore[attr-defined]
            return_annotation=inspect.signature(func).return_annotation
        )
        return func

    return decorate


def arguments(
    model: Callable[..., object], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """``args`` and ``kwargs`` bound to ``model``'s parameters, defaults filled in."""
    bound = inspect.signature(model).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)
