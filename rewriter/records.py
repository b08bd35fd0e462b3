"""``@record``: a frozen, slotted dataclass that costs a quarter as much to define.

On Python 3.11 ``@dataclass(frozen=True, slots=True)`` compiles its methods one at a time when the
class is defined (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``):
about a millisecond a class. scp-fix defines some forty of them on its way to a proposal, and a
pre-commit hook starts it anew for every run, so that was a tenth of a run.

``record`` lets ``dataclasses`` read the fields and make the slotted class, but generate nothing; it
compiles only ``__init__`` (the same signature, defaults, default factories and ``__post_init__``), and
gives the class shared methods for the rest: repr, equality and hash over the same fields,
``FrozenInstanceError`` on assignment, and pickling. ``dataclasses.fields``, ``replace``, ``asdict``
and ``is_dataclass`` work as on any dataclass.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["record"]

T = TypeVar("T")

_MISSING = dataclasses.MISSING


class _Factory:
    """The default of a parameter whose value comes from a default factory (shown as dataclasses shows it)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def record(cls: type[T] | None = None, /, *, eq: bool = True) -> Any:
    """``@dataclass(frozen=True, slots=True)`` (or with ``eq=False``), defined in one compile."""

    def wrap(cls: type[T]) -> type[T]:
        return _build(cls, eq)

    return wrap if cls is None else wrap(cls)


def _build(cls: type[T], eq: bool) -> type[T]:
    documented = bool(cls.__dict__.get("__doc__"))
    # Methods the class writes itself are kept, as dataclasses keeps them. (Python sets __hash__ to
    # None in a class that defines __eq__ alone: that is not a __hash__ of its own.)
    own = {name for name in ("__init__", "__repr__", "__eq__") if name in cls.__dict__}
    if "__hash__" in cls.__dict__ and not (cls.__dict__["__hash__"] is None and "__eq__" in own):
        own.add("__hash__")
    # Nothing generated here: dataclasses only collects the fields and makes the slotted class.
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=True)  # type: ignore[call-overload]
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names: dict[str, Any] = {"__factory": _FACTORY}
    parameters: list[str] = []
    body: list[str] = []
    for field in fields:
        name = field.name
        if field.default is not _MISSING:
            names[f"__default_{name}"] = field.default
            value = name
            default = f"__default_{name}"
        elif field.default_factory is not _MISSING:
            names[f"__factory_{name}"] = field.default_factory
            value = f"__factory_{name}() if {name} is __factory else {name}"
            default = "__factory"
        else:
            value, default = name, ""
        if not field.init:  # not a parameter: its default, or left to __post_init__ when it has none
            if field.default is _MISSING and field.default_factory is _MISSING:
                continue
            value = f"__factory_{name}()" if field.default_factory is not _MISSING else f"__default_{name}"
        else:
            parameters.append(f"{name}={default}" if default else name)
        # the slot's own setter (dataclasses makes every field a slot): object.__setattr__ looks the
        # slot up on the class first, and a record is made for every statement, request and decision
        names[f"__set_{name}"] = getattr(cls, name).__set__
        body.append(f"  __set_{name}(self, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    source = [f"def __init__(self, {', '.join(parameters)}):", *(body or ["  pass"])]

    if "__init__" not in own:
        exec("\n".join(source), names)  # noqa: S102 - the text is built above from field names only
        init = names["__init__"]
        init.__annotations__ = {**{f.name: f.type for f in fields if f.init}, "return": None}
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        init.__module__ = cls.__module__
        cls.__init__ = init  # type: ignore[misc]
    # The other methods need no code of their own: compiling is what costs, so they are shared and
    # read the fields through a C-level attrgetter.
    if "__repr__" not in own:
        cls.__repr__ = _repr_of(tuple(f.name for f in fields if f.repr))  # type: ignore[method-assign]
    if eq and "__eq__" not in own:
        compared = operator.attrgetter(*[f.name for f in fields if f.compare] or ["__class__"])
        cls.__eq__ = _eq_of(compared)  # type: ignore[method-assign]
    if eq and "__hash__" not in own:
        hashed = operator.attrgetter(*[f.name for f in fields if (f.compare if f.hash is None else f.hash)]
                                     or ["__class__"])
        cls.__hash__ = _hash_of(hashed)  # type: ignore[method-assign]
    cls.__setattr__ = _frozen_setattr  # type: ignore[method-assign]
    cls.__delattr__ = _frozen_delattr  # type: ignore[method-assign]
    cls.__getstate__ = _getstate  # type: ignore[attr-defined]
    cls.__setstate__ = _setstate  # type: ignore[attr-defined]
    if not documented:  # as dataclasses writes it: the signature
        cls.__doc__ = f"{cls.__name__}({', '.join(p.split('=')[0] for p in parameters)})"
    return cls


def _repr_of(shown: tuple[str, ...]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        return f"{type(self).__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in shown)})"

    return __repr__


def _eq_of(values: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash_of(values: Callable[[Any], Any]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(dataclasses.fields(self), state):
        object.__setattr__(self, f.name, value)
