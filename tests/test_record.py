"""hardpin._record: the fast stand-in for dataclasses."""

from __future__ import annotations

import pytest

from hardpin._record import field, record, replace


@record
class Point:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    note: str = field(default="", compare=False)


@record(frozen=True)
class Key:
    a: str
    b: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "b", tuple(self.b))


def test_init_defaults_and_factories_are_per_instance() -> None:
    p, q = Point(1), Point(2, 3)
    p.tags.append("x")
    assert (p.x, p.y, p.tags, q.tags) == (1, 0, ["x"], [])
    assert Point(1, note="a") == Point(1, note="b")
    assert Point(1) != Point(2)
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=[], note='')"
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        hash(Point(1))


def test_frozen_records_are_hashable_read_only_and_run_post_init() -> None:
    k = Key("a", [1, 2])  # type: ignore[arg-type]
    assert k.b == (1, 2)
    assert hash(k) == hash(Key("a", (1, 2)))
    assert {k: 1}[Key("a", (1, 2))] == 1
    with pytest.raises(AttributeError):
        k.a = "b"  # type: ignore[misc]
    assert replace(k, a="z") == Key("z", (1, 2))


def test_init_is_compiled_on_first_use_and_behaves_the_same() -> None:
    @record
    class Lazy:
        a: int
        b: str = "x"

    placeholder = Lazy.__init__
    with pytest.raises(TypeError):
        Lazy()  # type: ignore[call-arg]  # the first call compiles, then fails as before
    assert Lazy.__init__ is not placeholder
    assert Lazy.__init__.__qualname__.endswith("Lazy.__init__")
    assert (Lazy(1).a, Lazy(1).b, Lazy(2, b="y").b) == (1, "x", "y")
    with pytest.raises(TypeError):
        Lazy(1, 2, 3)  # type: ignore[call-arg]

    @record(frozen=True)
    class Base:
        a: int

    class Sub(Base):  # a plain subclass built first still gets Base's fields
        pass

    assert Sub(1).a == 1 and Base(2).a == 2
    assert Sub(1) != Base(1)  # records compare only with their own class
