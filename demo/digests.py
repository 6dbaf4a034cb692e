"""Demo: the weekly digests of the demo company, written from its data like the Friday job writes them.

``load(stdout)`` writes the digests of the last full week (Friday to Thursday, ``digests.default_period_end``):
the product channel's and each account owner's, stored and put in the outbox, by the configured provider (the
templates offline). Run it after the demo's feedback, themes and launches exist; running it again writes nothing new.
"""

from __future__ import annotations

from notifications import digests


def load(stdout) -> list:
    """Write this week's digests of the demo data; returns them."""
    written = digests.write_weekly_digests()
    if written:
        product = next((digest for digest in written if digest.owner_id is None), None)
        owners = len(written) - (product is not None)
        stdout.write(
            f"Weekly digests of {written[0].period_start:%d %b} – {written[0].period_end:%d %b}: "
            f"{'the product channel’s and ' if product else ''}{owners} account owner(s)’"
        )
    return written
