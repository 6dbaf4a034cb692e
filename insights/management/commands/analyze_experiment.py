"""``manage.py analyze_experiment`` — an experiment's statistics, for analysts and scripts (issue 11).

Two modes:

- ``analyze_experiment KEY``: a stored experiment (``insights.experiments.analyze``): exposures and conversions
  counted from product events, every success metric of every variant against the control, SRM, the correction, and
  whether there is a winner — or why not.
- ``analyze_experiment --proportions 200/1000 250/1000`` (conversions/subjects) or
  ``--means N,SUM,SUMSQ N,SUM,SUMSQ``: given figures, each variant after the first against the first. The SRM check
  compares the variants' subjects with ``--shares`` (equal when not given); ``--alpha`` (0.05),
  ``--sequential`` for the always-valid confidence sequence instead of the fixed-horizon Welch test, ``--correction``
  (holm or bh) when more than two variants are given.

Both print a readable report; the last line is one line of JSON with at least ``difference``, ``ci_low``,
``ci_high``, ``p_value`` and ``srm_p_value`` (of the second variant against the first).
"""

from __future__ import annotations

import json
import math

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights import stats
from insights.stats import NotEnoughData, Sample

CORRECTIONS = {"holm": stats.holm, "bh": stats.benjamini_hochberg}


def parse_proportion(text: str, position: int) -> tuple[Sample, int]:
    """'200/1000' → the sample and its conversions; CommandError naming the argument otherwise."""
    parts = text.split("/")
    if len(parts) != 2:
        raise CommandError(f"--proportions #{position} {text!r}: expected CONVERSIONS/SUBJECTS, e.g. 200/1000")
    try:
        conversions, subjects = (int(part.strip()) for part in parts)
    except ValueError as error:
        raise CommandError(f"--proportions #{position} {text!r}: both numbers must be whole numbers") from error
    if subjects < 1:
        raise CommandError(f"--proportions #{position} {text!r}: the number of subjects must be at least 1")
    if not 0 <= conversions <= subjects:
        raise CommandError(
            f"--proportions #{position} {text!r}: conversions must be between 0 and the {subjects} subjects"
        )
    return Sample.from_proportion(conversions, subjects), conversions


def parse_mean(text: str, position: int) -> Sample:
    """'3407,1396.87,52377.9767' → the sample; CommandError naming the argument otherwise."""
    parts = text.split(",")
    if len(parts) != 3:
        raise CommandError(f"--means #{position} {text!r}: expected N,SUM,SUMSQ, e.g. 3407,1396.87,52377.9767")
    try:
        n = int(parts[0].strip())
    except ValueError as error:
        raise CommandError(f"--means #{position} {text!r}: N must be a whole number") from error
    try:
        total, squares = float(parts[1]), float(parts[2])
    except ValueError as error:
        raise CommandError(f"--means #{position} {text!r}: SUM and SUMSQ must be numbers") from error
    if not (math.isfinite(total) and math.isfinite(squares)):
        raise CommandError(f"--means #{position} {text!r}: SUM and SUMSQ must be finite numbers")
    try:
        return Sample.from_sums(n, total, squares)
    except NotEnoughData as error:
        raise CommandError(f"--means #{position} {text!r}: {error}") from error


def parse_shares(text: str, count: int) -> list[float]:
    """'50,50' → the planned shares, one per variant, each positive."""
    try:
        shares = [float(part) for part in text.split(",")]
    except ValueError as error:
        raise CommandError(f"--shares {text!r}: expected numbers separated by commas, e.g. 50,50") from error
    if len(shares) != count:
        raise CommandError(f"--shares {text!r}: {len(shares)} shares for {count} variants")
    if any(not math.isfinite(share) or share <= 0 for share in shares):
        raise CommandError(f"--shares {text!r}: every share must be a positive number")
    return shares


def fmt(value: float | None, digits: int = 5) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.2f} %"


class Command(BaseCommand):
    help = (
        "Analyse an A/B experiment: a stored one by KEY, or given figures (--proportions or --means). "
        "The last line printed is one line of JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", nargs="?", help="a stored experiment's key")
        figures = parser.add_mutually_exclusive_group()
        figures.add_argument(
            "--proportions", nargs="+", metavar="CONVERSIONS/SUBJECTS", help="per variant, the control first"
        )
        figures.add_argument("--means", nargs="+", metavar="N,SUM,SUMSQ", help="per variant, the control first")
        parser.add_argument("--shares", help="planned traffic shares, e.g. 50,50 (default: equal)")
        parser.add_argument("--alpha", type=float, default=stats.DEFAULT_ALPHA, help="significance level (0.05)")
        parser.add_argument("--sequential", action="store_true", help="always-valid confidence sequence")
        parser.add_argument("--correction", choices=sorted(CORRECTIONS), default="holm")

    def handle(self, *args, key: str | None, proportions, means, shares, alpha, sequential, correction, **options):
        if not 0 < alpha < 1:
            raise CommandError(f"--alpha {alpha}: must be between 0 and 1 (e.g. 0.05)")
        if key and (proportions or means):
            raise CommandError("Give either an experiment KEY or figures (--proportions / --means), not both.")
        if key:
            return self.stored(key)
        if not (proportions or means):
            raise CommandError("Give an experiment KEY, or figures: --proportions 200/1000 250/1000 or --means ...")
        given = proportions or means
        if len(given) < 2:
            raise CommandError(f"Give at least two variants (the control first); got {len(given)}.")
        if proportions:
            parsed = [parse_proportion(text, i) for i, text in enumerate(proportions, 1)]
            samples, conversions = [p[0] for p in parsed], [p[1] for p in parsed]
        else:
            samples, conversions = [parse_mean(text, i) for i, text in enumerate(means, 1)], None
        planned = parse_shares(shares, len(samples)) if shares else None
        figures = self.figures(samples, conversions, planned, alpha=alpha, sequential=sequential, correction=correction)
        self.stdout.write(self.report(figures))
        self.stdout.write(json.dumps(figures, separators=(",", ":")))

    def stored(self, key: str) -> None:
        from insights import experiments

        try:
            analysis = experiments.analyze_key(key)
        except experiments.Experiment.DoesNotExist as error:
            raise CommandError(f"No experiment with the key {key!r}.") from error
        self.stdout.write(experiments.report(analysis))
        self.stdout.write(json.dumps(analysis.as_json(), separators=(",", ":")))

    def figures(
        self,
        samples: list[Sample],
        conversions: list[int] | None,
        shares: list[float] | None,
        *,
        alpha: float,
        sequential: bool,
        correction: str,
    ) -> dict:
        """The comparisons of every variant with the first, the SRM check, and the first comparison on top."""
        compare = stats.confidence_sequence if sequential else stats.welch
        try:
            comparisons = [compare(samples[0], sample, alpha=alpha) for sample in samples[1:]]
            check = stats.srm([sample.n for sample in samples], shares)
        except NotEnoughData as error:
            raise CommandError(str(error)) from error
        adjusted = CORRECTIONS[correction]([c.p_value for c in comparisons])
        rows = []
        for index, (comparison, p_adjusted) in enumerate(zip(comparisons, adjusted, strict=True), 1):
            row = {"variant": index, **comparison.as_dict(), "p_value_adjusted": p_adjusted}
            if conversions is not None:
                z, z_p = stats.pooled_z(conversions[0], samples[0].n, conversions[index], samples[index].n)
                row.update(pooled_z=z, pooled_z_p_value=z_p)
            rows.append(row)
        first = rows[0]
        return {
            **{name: first[name] for name in first if name != "variant"},
            "kind": "proportion" if conversions is not None else "mean",
            "n": [sample.n for sample in samples],
            "means": [sample.mean for sample in samples],
            "srm_p_value": check.p_value,
            "srm_flagged": check.flagged,
            "correction": correction if len(comparisons) > 1 else None,
            "comparisons": rows,
        }

    def report(self, figures: dict) -> str:
        kind = "Conversion rate" if figures["kind"] == "proportion" else "Mean"
        method = "always-valid confidence sequence" if figures["method"] == "sequential" else "Welch t-test"
        level = f"{(1 - figures['alpha']) * 100:g} %"
        lines = [f"{kind}s, each variant against variant 0 (the control); {method}, {level} intervals", ""]
        for index, (n, mean) in enumerate(zip(figures["n"], figures["means"], strict=True)):
            lines.append(f"  variant {index}: n = {n:,}  {kind.lower()} = {fmt(mean)}")
        for row in figures["comparisons"]:
            lines += [
                "",
                f"Variant {row['variant']} − variant 0:",
                f"  difference {fmt(row['difference'])}  CI ({fmt(row['ci_low'])}, {fmt(row['ci_high'])})",
                f"  relative   {pct(row['relative_difference'])}  CI "
                f"({pct(row['relative_ci_low'])}, {pct(row['relative_ci_high'])})",
                f"  p = {fmt(row['p_value'], 6)}"
                + (
                    f"  (t = {row['statistic']:.4f}, df = {row['degrees_of_freedom']:.1f})"
                    if row["degrees_of_freedom"]
                    else ""
                ),
            ]
            if figures["correction"]:
                lines.append(f"  p adjusted ({figures['correction']}) = {fmt(row['p_value_adjusted'], 6)}")
            if "pooled_z" in row:
                lines.append(f"  pooled z-test: z = {row['pooled_z']:.4f}, p = {fmt(row['pooled_z_p_value'], 6)}")
        verdict = "MISMATCH — the split is broken, do not trust the results" if figures["srm_flagged"] else "ok"
        lines += ["", f"Sample ratio check: χ² p = {figures['srm_p_value']:.4g} ({verdict})"]
        return "\n".join(lines)
