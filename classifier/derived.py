"""Values a fitted estimator derives from its own attributes on first use: made once, never pickled or copied."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Derived:
    """A mixin for estimators that keep derived values (an index, a look-up table, weights in row order).

    Each is kept in the instance under a private name with the object it was made from
    (``source``): when a fit replaces that object, the value is made again. A copy or a pickle
    of the estimator leaves them out, so that no copy shares them and no saved model holds them.

    >>> class Est(Derived):
    ...     def __init__(self):
    ...         self.coef_ = [1, 2]
    ...     def total(self):
    ...         return self._derived("_total", lambda: sum(self.coef_), self.coef_)
    >>> est = Est()
    >>> est.total(), "_total" in est.__getstate__()
    (3, False)
    >>> est.coef_ = [5]
    >>> est.total()
    5
    """

    def _derived(self, name: str, make: Callable[[], T], source: Any = None) -> T:
        cached = self.__dict__.get(name)
        if cached is None or cached[0] is not source:
            cached = self.__dict__[name] = _Kept((source, make()))
        return cached[1]

    def _forget(self) -> None:
        """Drop every derived value: the attributes they came from are about to change."""
        for name in [n for n, v in self.__dict__.items() if isinstance(v, _Kept)]:
            del self.__dict__[name]

    def __getstate__(self):
        state = super().__getstate__()
        return {name: value for name, value in state.items() if not isinstance(value, _Kept)}


class _Kept(tuple):
    """(source, value): what ``Derived._derived`` keeps, told apart from the estimator's own tuples."""
