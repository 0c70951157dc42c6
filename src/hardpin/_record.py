"""A small, fast stand-in for `dataclasses.dataclass`.

`dataclasses` imports `inspect` and costs about 0.5 ms per class at import;
hardpin's start-up budget (a single-file check well under 70 ms) cannot pay
that for every data type on the hot path. `@record` generates `__init__`,
`__repr__` and `__eq__` from the class annotations; `__init__` is compiled (one
small `exec`) when the first instance is made, so a type a run never builds
costs almost nothing.
Instances are plain objects (no __slots__, not frozen by enforcement); treat
them as immutable unless the type documents otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: importing typing costs ~4 ms at start-up
if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform, overload

    T = TypeVar("T")
else:
    # what the decorators below do at run time (nothing); type checkers see typing's
    # (ruff does not, hence the noqa on `record`'s overloads)

    def overload(f: Callable[..., object]) -> Callable[..., object]:
        return f

    def dataclass_transform(**kwargs: object) -> Callable[..., object]:
        return overload


_MISSING = object()


class _Field:
    __slots__ = ("default", "factory", "compare")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, compare: bool) -> None:
        self.default = default
        self.factory = factory
        self.compare = compare


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    compare: bool = True,
) -> Any:
    return _Field(default, default_factory, compare)


@overload
def record(cls: type[T], *, frozen: bool = False) -> type[T]: ...
@overload
def record(cls: None = None, *, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...  # noqa: F811


@dataclass_transform(field_specifiers=(field,))
def record(cls: type[T] | None = None, *, frozen: bool = False) -> Any:  # noqa: F811
    """Class decorator: `@record` or `@record(frozen=True)` (hashable, read-only).

    `dataclass_transform` tells type checkers that the generated `__init__` takes
    the annotated fields, as it would for a dataclass."""
    if cls is None:
        return lambda c: _make(c, frozen)
    return _make(cls, frozen)


def replace(obj: T, **changes: Any) -> T:
    """A copy of a record with some fields changed (like dataclasses.replace)."""
    names = type(obj).__match_args__  # type: ignore[attr-defined]
    kwargs = {n: getattr(obj, n) for n in names}
    kwargs.update(changes)
    return type(obj)(**kwargs)


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise AttributeError(f"{type(self).__name__} is read-only: cannot set {name!r}")


def _make(cls: type[T], frozen: bool) -> type[T]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for n in klass.__dict__.get("__annotations__", {}):
            if (
                n not in names
                and not n.startswith("_")
                and "ClassVar" not in str(klass.__dict__["__annotations__"][n])
            ):
                names.append(n)
    params: list[str] = []
    body: list[str] = []
    ns: dict[str, Any] = {"_MISSING": _MISSING}
    compared: list[str] = []
    for n in names:
        d = cls.__dict__.get(n, _MISSING)
        compare = True
        if isinstance(d, _Field):
            compare = d.compare
            if d.factory is not None:
                ns[f"_f_{n}"] = d.factory
                params.append(f"{n}=_MISSING")
                body.append(f"  _set(self, '{n}', _f_{n}() if {n} is _MISSING else {n})")
                delattr(cls, n)
                if compare:
                    compared.append(n)
                continue
            d = d.default
            if d is _MISSING:
                delattr(cls, n)
            else:
                setattr(cls, n, d)
        if d is _MISSING:
            params.append(n)
        else:
            ns[f"_d_{n}"] = d
            params.append(f"{n}=_d_{n}")
        body.append(f"  _set(self, '{n}', {n})")
        if compare:
            compared.append(n)
    # parameters with defaults must follow those without
    req = [p for p in params if "=" not in p]
    opt = [p for p in params if "=" in p]
    if [p.split("=")[0] for p in req + opt] != names:
        raise TypeError(f"{cls.__name__}: fields without defaults must come first")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    ns["_set"] = object.__setattr__
    src = f"def __init__(self, {', '.join(req + opt)}):\n" + ("\n".join(body) or "  pass") + "\n"

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        # The first instance compiles the class's own __init__: a run defines many
        # record types and instantiates some, and compiling is most of a type's cost.
        exec(src, ns)
        init = ns["__init__"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        setattr(cls, "__init__", init)
        init(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    setattr(cls, "__init__", __init__)

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{type(self).__name__}({inner})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in compared)

    setattr(cls, "__repr__", __repr__)
    setattr(cls, "__eq__", __eq__)
    if frozen:

        def __hash__(self: Any) -> int:
            return hash(tuple(getattr(self, n) for n in compared))

        setattr(cls, "__hash__", __hash__)
        setattr(cls, "__setattr__", _frozen_setattr)
    else:
        setattr(cls, "__hash__", None)
    setattr(cls, "__match_args__", tuple(names))
    return cls
