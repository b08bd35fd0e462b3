"""``@record`` must behave as ``@dataclass(frozen=True, slots=True)``: it only defines faster."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from rewriter.records import record

EMPTY: Any = ("shared",)


def _shapes(decorate: Any, eq_decorate: Any) -> dict[str, type]:
    """The same classes, defined with either decorator."""

    @decorate
    class Plain:
        """A record with every kind of field."""

        name: str
        count: int = 0
        tags: tuple[str, ...] = ()
        context: Any = field(default_factory=lambda: EMPTY, hash=False)
        cache: dict = field(default_factory=dict, compare=False, repr=False)
        derived: int = field(default=7, init=False)

        @property
        def label(self) -> str:
            return f"{self.name}#{self.count}"

    @decorate
    class Normalised:
        items: tuple[str, ...]
        first: str = field(init=False, repr=False)  # set by __post_init__

        def __post_init__(self) -> None:
            object.__setattr__(self, "items", tuple(sorted(self.items)))
            object.__setattr__(self, "first", self.items[0])

    @eq_decorate
    class ByIdentity:
        values: tuple[str, ...]

    @decorate
    class OwnMethods:  # what a class writes itself is kept
        routes: dict[str, str]

        def __hash__(self) -> int:
            return len(self.routes)

        def __repr__(self) -> str:
            return "own"

    return {"Plain": Plain, "Normalised": Normalised, "ByIdentity": ByIdentity, "OwnMethods": OwnMethods}


REAL = _shapes(dataclass(frozen=True, slots=True), dataclass(frozen=True, slots=True, eq=False))
FAST = _shapes(record, record(eq=False))
# pickle finds classes by qualified name: give each kind a module-level name
for kind, classes in (("Real", REAL), ("Fast", FAST)):
    for name, cls in classes.items():
        cls.__qualname__ = f"{kind}{name}"
        globals()[f"{kind}{name}"] = cls


def _observed(cls: dict[str, type]) -> list[Any]:
    Plain, Normalised, ByIdentity, Own = cls["Plain"], cls["Normalised"], cls["ByIdentity"], cls["OwnMethods"]
    a = Plain("x", 2, ("t",))
    same = Plain("x", 2, ("t",), cache={"other": 1})
    seen: list[Any] = [
        repr(a).split("(", 1)[1], a == same, hash(a) == hash(same), a == Plain("x", 3), a.label, a.derived,
        a.context is EMPTY, a.cache == {}, Plain("y").cache is not Plain("y").cache,
        dataclasses.asdict(a), [f.name for f in dataclasses.fields(a)], dataclasses.is_dataclass(a),
        dataclasses.replace(a, count=5).count, type(a).__match_args__, hasattr(a, "__dict__"),
        Normalised(("b", "a")).items, Normalised(("b", "a")) == Normalised(("a", "b")), Normalised(("b", "a")).first,
        ByIdentity(("v",)) == ByIdentity(("v",)), repr(ByIdentity(("v",))).split("(", 1)[1],
        pickle.loads(pickle.dumps(a)) == a, copy.deepcopy(a) == a, copy.copy(a) == a,
        hash(Own({"a": "b"})), repr(Own({})), Own({"a": "b"}) == Own({"a": "b"}),
    ]
    for attempt in (lambda: setattr(a, "name", "z"), lambda: delattr(a, "count")):
        with pytest.raises(dataclasses.FrozenInstanceError) as raised:
            attempt()
        seen.append(str(raised.value))
    # a name that is not a field: refused too (3.11's dataclass fails here with a TypeError of its own)
    with pytest.raises((dataclasses.FrozenInstanceError, TypeError)):
        a.new = 1
    for wrong in (lambda: Plain(), lambda: Plain("x", 1, (), EMPTY, {}, 3), lambda: Plain("x", nope=1)):
        with pytest.raises(TypeError):
            wrong()
    seen.append(str(__import__("inspect").signature(Plain)))
    return seen


def test_a_record_behaves_as_a_frozen_slotted_dataclass() -> None:
    assert _observed(FAST) == _observed(REAL)
