"""Parameter coercion without pydantic, for the parameter types the commands use.

typer 0.29 coerces every non-flag parameter value through a pydantic ``TypeAdapter``: the first
command-line value imports pydantic and builds adapters, ~100-150 ms per run, about as long as
importing typer itself, for values that are already strings. For ``str``, ``list[str]``, Enum
choices and ``bool`` values that already are bools this coerces them the way typer's adapters do
(typer's own ``coerce_cli_choice`` for choices), without pydantic. A value that fails (an unknown choice) goes through typer's own path,
so its error message is typer's. Any other annotation, or a typer without these internals, is left
to typer.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["install"]


def _as_str(value: Any) -> str:
    """typer's ``_parse_cli_str``: bytes are decoded as the argv encoding, else ``str(value)``."""
    if value is None:
        raise ValueError("None is not a valid string")
    if isinstance(value, bytes):
        from typer._click._compat import _get_argv_encoding

        encoding = _get_argv_encoding()
        try:
            return value.decode(encoding)
        except UnicodeError:
            fs_encoding = sys.getfilesystemencoding()
            if fs_encoding != encoding:
                try:
                    return value.decode(fs_encoding)
                except UnicodeError:
                    pass
            return value.decode("utf-8", "replace")
    return str(value)


def _as_str_list(value: Any) -> list[str]:
    return [_as_str(item) for item in (value if isinstance(value, (list, tuple)) else [value])]


def install() -> None:
    """Route ``str``, ``list[str]``, ``bool`` and Enum parameters of typer commands through light coercion."""
    try:
        from typer import core
        from typer._coercion import RuntimeParam
        from typer._param_types import coerce_cli_choice
    except ImportError:  # a typer without these internals: nothing to do
        return
    build = getattr(core, "build_runtime_param", None)
    if build is None or getattr(build, "scp_fix_light", False):
        return

    @dataclass(frozen=True)
    class LightParam(RuntimeParam):
        descriptor: Any = None
        kind: str = ""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                if self.kind == "str":
                    return _as_str(value)
                if self.kind == "list":
                    return _as_str_list(value)
                if self.kind == "bool":
                    if type(value) is bool:
                        return value
                    raise ValueError("not a bool yet: typer's path parses it")
                return coerce_cli_choice(
                    value, choices=list(self.annotation),
                    case_sensitive=self.parameter_info.case_sensitive, ctx=ctx,
                )
            except (ValueError, AssertionError):  # typer's path says what is wrong, in its words
                return build(self.descriptor)._coerce_value(value, param=param, ctx=ctx)

    def light(descriptor: Any) -> Any:
        annotation = descriptor.annotation
        info = descriptor.parameter_info
        kind = ""
        if descriptor.file_annotation is None and getattr(info, "parser", None) is None:
            if annotation is str:
                kind = "str"
            elif annotation is bool:
                kind = "bool"
            elif annotation == list[str]:
                kind = "list"
            elif isinstance(annotation, type) and issubclass(annotation, Enum):
                kind = "choice"
        if not kind:
            return build(descriptor)
        return LightParam(parameter_info=info, annotation=annotation, descriptor=descriptor, kind=kind)

    light.scp_fix_light = True  # type: ignore[attr-defined]
    core.build_runtime_param = light
