"""The slots of verbatim templates (``{model}``, ``{pct}``, ``{company}``…), filled lazily for one feedback item."""

from __future__ import annotations

import random
from datetime import date, timedelta

from customers.choices import Language, Region
from demo.accounts import Account
from demo.vocabulary import VOCABULARY as V

CURRENCY_BY_REGION = {Region.EUROPE: "€", Region.UK: "£"}


def _big_number(rng: random.Random) -> str:
    value = rng.choice((12, 25, 40, 80, 120, 250, 480, 750, 1200, 2500, 4800))
    return f"{value / 1000:g}M" if value >= 1000 else f"{value}k"


class Slots(dict):
    """The slot values of one verbatim, drawn lazily on first use (a template only pays for the slots it has)."""

    def __init__(self, *, rng: random.Random, account: Account | None, language: str, product: str, day: date):
        super().__init__()
        self.rng, self.account, self.language, self.product, self.day = rng, account, language, product, day

    def __missing__(self, key: str) -> str:
        rng = self.rng
        choices = V.choice_slots.get(key)
        if choices is not None:
            value = rng.choice(choices)
        elif key in ("model", "model_id"):
            self["model"], self["model_id"] = rng.choice(V.models_by_product[self.product])
            return self[key]
        else:
            value = self._computed(key)
        self[key] = value
        return value

    def _computed(self, key: str) -> str:  # noqa: C901 - one flat dispatch reads better than a table of lambdas
        rng, account = self.rng, self.account
        if key == "n":
            return str(rng.randint(2, 12))
        if key == "big_n":
            return _big_number(rng)
        if key == "pct":
            return str(rng.randint(12, 60))
        if key == "pct_small":
            return str(rng.randint(2, 9))
        if key == "pct_high":
            return str(rng.randint(80, 99))
        if key == "drop_pct":
            return str(rng.randint(21, 68))
        if key == "ms":
            return str(rng.randrange(1500, 9000, 100))
        if key == "ms_small":
            return str(rng.randrange(250, 900, 10))
        if key == "secs":
            return f"{rng.uniform(3, 14):.1f}"
        if key == "hours":
            return str(rng.randint(6, 30))
        if key == "hours_small":
            return str(rng.randint(1, 4))
        if key == "rpm":
            return f"{rng.choice((300, 600, 1200, 2000, 5000)):,}"
        if key == "tpm":
            return rng.choice(("500k", "1M", "2M", "5M"))
        if key == "seats":
            return f"{rng.choice((50, 120, 300, 800, 1500, 4000)):,}"
        if key == "util_pct":
            return str(rng.randint(8, 30))
        if key == "active":
            return f"{int(self['seats'].replace(',', '')) * int(self['util_pct']) // 100:,}"
        if key == "amount":
            currency = CURRENCY_BY_REGION.get(account.region if account else "", "$")
            return f"{currency}{rng.choice((2400, 4800, 7900, 12400, 18600, 27500, 41000, 85000)):,}"
        if key == "days":
            return str(rng.randint(3, 21))
        if key == "weeks":
            return str(rng.randint(2, 10))
        if key == "pages":
            return str(rng.randrange(80, 600, 10))
        if key == "ctx":
            return rng.choice(("32", "64", "100"))
        if key == "mp":
            return str(rng.randint(20, 60))
        if key == "rps":
            return str(rng.choice((5, 10, 25, 50, 100, 200)))
        if key == "request_id":
            return f"{rng.getrandbits(64):016x}"
        if key == "job_id":
            return f"ftjob-{rng.getrandbits(32):08x}"
        if key == "batch_id":
            return f"batch_{rng.getrandbits(40):010x}"
        if key == "from_n":
            return f"{rng.randrange(20_000, 2_000_000, 1_000):,}"
        if key == "to_n":
            start = int(self["from_n"].replace(",", ""))
            return f"{start * (100 - int(self['drop_pct'])) // 100:,}"
        if key == "inactive_days":
            return str(rng.randint(14, 30))
        if key == "since_date":
            days = int(self["inactive_days"]) if "inactive_days" in self else rng.randint(8, 20)
            return f"{self.day - timedelta(days=days):%d %b}"
        if key == "rotation_days":
            return rng.choice(("30", "60", "90"))
        if key == "batch_inputs":
            return rng.choice(("64", "128", "256"))
        if key == "file_limit":
            return rng.choice(("200", "500", "1,000"))
        if key == "key_count":
            return rng.choice(("50", "100", "200"))
        if key == "workflow":
            use_case = account.use_case if account and account.use_case else rng.choice(list(V.workflows_by_use_case))
            return rng.choice(V.workflows_by_use_case[use_case][self.language])
        if key == "company":
            return account.name if account else "a community user"
        if key == "person":
            return rng.choice(V.first_names_by_language[account.language if account else Language.ENGLISH])
        raise KeyError(key)
