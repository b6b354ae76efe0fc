"""Read, validate and index profile YAML files; every defect names the file and the field."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.errors import ProfileInvalid, UnknownProfile
from core.profiles.checks import Problem, check_document
from core.profiles.profile import Profile
from core.profiles.schema import ProfileDocument

PROFILE_DIR = Path(__file__).resolve().parent
BUILTIN_PROFILE_IDS: tuple[str, ...] = (
    "saitama-police-2023",
    "chiba-pref-2022",
    "soka-yashio-fire",
    "ishikawa-police-contractor",
)
# Profiles are operator configuration, not uploads, but a limit still costs nothing.
MAX_PROFILE_BYTES = 1024 * 1024


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: PyYAML would silently keep the last one,
    so a second ``C2:`` could quietly replace a level name."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _fail(path: Path, problems: list[Problem]) -> ProfileInvalid:
    detail = "; ".join(f"{where}: {msg}" if where else msg for where, msg in problems)
    return ProfileInvalid(f"{path.name}: {detail}")


def _read_yaml(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_PROFILE_BYTES:
            raise _fail(path, [("", f"larger than {MAX_PROFILE_BYTES} bytes")])
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, [("", f"cannot read: {exc}")]) from None
    try:
        return yaml.load(raw, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise _fail(path, [("", f"invalid YAML: {_yaml_problem(exc)}")]) from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"{exc.problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(exc).replace("\n", " ")


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def load_profile_file(path: Path) -> Profile:
    """Load one profile; raise :class:`ProfileInvalid` naming ``path`` and the field."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise _fail(path, [("<root>", "must be a mapping")])
    try:
        doc = ProfileDocument.model_validate(data)
    except ValidationError as exc:
        raise _fail(path, [(_loc(e["loc"]), e["msg"]) for e in exc.errors()]) from None
    problems = check_document(doc, expected_id=path.stem)
    if problems:
        raise _fail(path, problems)
    return Profile(document=doc, path=path)


def _load_dir(directory: Path) -> dict[str, Profile]:
    return {p.stem: load_profile_file(p) for p in sorted(directory.glob("*.yaml"))}


def load_profiles(extra_dir: Path | None = None) -> dict[str, Profile]:
    """The built-in profiles, then every ``*.yaml`` in ``extra_dir`` (adds or overrides by id).

    Called once at start-up; any :class:`ProfileInvalid` stops the service (CLS-09: a
    deployment lowers its ceiling or adds restriction codes, HR-02, by overriding a file).
    """
    profiles = _load_dir(PROFILE_DIR)
    missing = [pid for pid in BUILTIN_PROFILE_IDS if pid not in profiles]
    if missing:
        raise ProfileInvalid(f"{PROFILE_DIR}: built-in profile(s) missing: {', '.join(missing)}")
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise ProfileInvalid(f"{extra_dir}: profile directory does not exist")
        profiles.update(_load_dir(extra_dir))
    return profiles


def get_profile(profiles: Mapping[str, Profile], name: str) -> Profile:
    try:
        return profiles[name]
    except KeyError:
        raise UnknownProfile(
            f"unknown profile {name!r} (known: {', '.join(sorted(profiles))})"
        ) from None
