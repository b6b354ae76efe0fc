"""`python -m bench.handling`: policy decision latency (issue 6, Targets: p99 < 5 ms for a
20-document bundle).

Times core.handling.decide_export, the decision POST /v1/exports and the mail gateway make, on
bundles of 20 documents with mixed labels and restrictions, for every seed profile and every
export method, recipients inside and outside the organisation. Each decision is timed on its
own (perf_counter_ns around one call); the first 200 calls are a warm-up and not counted. The
figures are the engine alone: gathering the facts from the database is not included (that
is one indexed SELECT of the 20 documents in the service).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.handling import (  # noqa: E402
    DocumentFacts,
    ExportContext,
    Recipient,
    Requester,
    decide_export,
)
from core.labels import Availability, Confidentiality, Integrity, Label  # noqa: E402
from core.profiles import Profile, load_profiles  # noqa: E402

TARGET_P99_MS = 5.0
METHODS = ("email", "media", "download", "contractor")
RECIPIENTS = (
    Recipient("山田", "株式会社山田商事", "yamada@example.co.jp"),
    Recipient("担当", None, "tanto@police.pref.saitama.lg.jp"),
    Recipient("消防組合 担当", "草加八潮消防組合"),
)


def _bundle(profile: Profile, rng: random.Random, size: int) -> tuple[DocumentFacts, ...]:
    codes = list(profile.restriction_codes)
    docs = []
    for n in range(size):
        restrictions = frozenset(rng.sample(codes, k=min(len(codes), rng.randint(0, 2))))
        label = profile.with_implied(Label(
            rng.choice([Confidentiality.C1, Confidentiality.C2]), rng.choice(list(Integrity)),
            rng.choice(list(Availability)), restrictions, profile.id))
        docs.append(DocumentFacts(f"d{n}", f"doc{n}.pdf", label, owner_id=1,
                                  named_recipients=frozenset({"yamada@example.co.jp"}),
                                  viewers=frozenset({"ito"}), provisions=rng.randint(0, 1)))
    return tuple(docs)


def _contexts(profiles: dict[str, Profile], size: int, count: int,
              seed: int) -> list[tuple[Profile, ExportContext]]:
    rng = random.Random(seed)
    requester = Requester(1, "tanaka", frozenset({"uploader"}))
    out = []
    for n in range(count):
        profile = profiles[sorted(profiles)[n % len(profiles)]]
        out.append((profile, ExportContext(_bundle(profile, rng, size), METHODS[n % 4],
                                           RECIPIENTS[n % 3], requester)))
    return out


def _percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=int, default=20)
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    profiles = load_profiles()
    contexts = _contexts(profiles, args.bundle, args.decisions + 200, args.seed)
    times_ms, outcomes = [], {}
    for n, (profile, ctx) in enumerate(contexts):
        started = time.perf_counter_ns()
        decision = decide_export(profile, ctx)
        elapsed = (time.perf_counter_ns() - started) / 1e6
        if n >= 200:
            times_ms.append(elapsed)
            outcomes[decision.decision] = outcomes.get(decision.decision, 0) + 1
    times_ms.sort()
    p99 = _percentile(times_ms, 0.99)
    print(f"\npolicy decision (core.handling.decide_export), {args.bundle}-document bundles, "
          f"{len(times_ms)} decisions over {len(profiles)} profiles x {len(METHODS)} methods")
    print(f"  p50 {_percentile(times_ms, 0.50):.3f} ms   p95 {_percentile(times_ms, 0.95):.3f} ms"
          f"   p99 {p99:.3f} ms   max {times_ms[-1]:.3f} ms   mean "
          f"{statistics.fmean(times_ms):.3f} ms")
    print(f"  outcomes: {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}")
    verdict = "met" if p99 < TARGET_P99_MS else "MISS"
    print(f"  target (issue 6): p99 < {TARGET_P99_MS} ms for a 20-document bundle: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
