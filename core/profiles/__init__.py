"""Policy profiles: one YAML file per seed organisation, validated once at start-up.

Built-ins live next to this file (``<id>.yaml``): ``saitama-police-2023`` (seed 001),
``chiba-pref-2022`` (003), ``soka-yashio-fire`` (002), ``ishikawa-police-contractor`` (000).
A deployment may add or override profiles with ``*.yaml`` files in ``SEKISHO_PROFILE_DIR``.

Each profile keeps its organisation's own words, quoted verbatim from the seed (names
"exactly as written", HR section); labels are never translated between profiles.

File format (unknown keys anywhere are an error)::

    id: saitama-police-2023            # must equal the file name without .yaml
    title: 埼玉県警察情報セキュリティ対策基準  # what the seed calls itself
    organisation: 埼玉県警察
    issued: 令和5年3月30日 情管第811号    # optional
    source: seeds/001_90e44f2536b04cc9.txt
    levels:                            # every canonical code must be named
      confidentiality:
        C3: {name: 機密性3（高）情報, ref: "第1 2(1)ア(ア)",
             definition: ...,           # optional
             synthetic: false,          # true: the seed has no such level, the name is ours
             restrictions: [...],       # bundle this level carries by itself (Chiba 6.1);
                                        #   must include every code of the level below
             approval_ref: "第3 2(2)"}  # optional: choosing this level needs an approver
        C2: ...
        C1: ...
      integrity: {I2: ..., I1: ...}
      availability: {A2: ..., A1: ...}
    restrictions:                      # canonical snake_case code -> native designation
      no_copy: {name: 複製禁止, ref: "第1 2(2)イ(ア)", description: 複製の禁止}
    aggregates:                        # optional derived terms; member if ANY level listed
      yo_kimitsu: {name: 要機密情報, ref: "第1 3(3)", confidentiality: [C3, C2]}
    default_label: {confidentiality: C2, integrity: I1, availability: A1, restrictions: []}
    ceiling:                           # CLS-09; default = top of each axis, nothing refused
      {confidentiality: C3, integrity: I2, availability: A2,
       refused_restrictions: [internet_separated_only]}  # restrictions this deployment
                                                         #   cannot honour (fire union, CLS-19)
    markings:                          # canonical marking id (core.labels.MARKING_IDS) -> floor
      gokuhi: {confidentiality: C3, ref: "第1 2(1)ア(ア)", note: ..., min_score: 0.0}
    entity_floors:                     # entity type (core.labels.ENTITY_TYPES) -> floor;
      JP_MY_NUMBER: {confidentiality: C2, restrictions: [], ref: ...}  # every type required
    unreadable_floor: {confidentiality: C2, ref: ...}  # text not all readable (default C2)

A floor rule (``markings``/``entity_floors``) sets any of the three levels and/or adds
restriction codes; it must set at least one. Every restriction code used anywhere must be
declared under ``restrictions``. ``ref`` cites the seed section the rule rests on.
"""

from core.profiles.loader import (
    BUILTIN_PROFILE_IDS,
    MAX_PROFILE_BYTES,
    PROFILE_DIR,
    get_profile,
    load_profile_file,
    load_profiles,
)
from core.profiles.profile import Profile
from core.profiles.schema import FloorRule, ProfileDocument

__all__ = [
    "BUILTIN_PROFILE_IDS",
    "MAX_PROFILE_BYTES",
    "PROFILE_DIR",
    "FloorRule",
    "Profile",
    "ProfileDocument",
    "get_profile",
    "load_profile_file",
    "load_profiles",
]
