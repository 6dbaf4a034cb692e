"""A small feedback base for the Ask tests: two healthcare enterprise customers and a bank talking about failing
fine-tuning jobs (three items in one theme, one with no theme yet), and three items on other topics (one praising
fine-tuning), all embedded by the offline provider (MiniLM), as the hub's triage would."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai.providers import get_provider
from customers.choices import Industry, Tier
from feedback.services import embed_pending
from tests.factories import make_customer, make_feedback, make_theme

QUESTION = "Why do our fine-tuning jobs fail?"
OFF_TOPIC = "What is the best recipe for banana bread?"


@dataclass
class Base:
    acme: object
    bayview: object
    cedar: object
    theme: object
    themed: list  # the three fine-tuning items in the theme
    unthemed: object  # the fine-tuning item with no theme yet
    others: list  # items on other topics


def feedback_base() -> Base:
    acme = make_customer(name="Acme Health", tier=Tier.ENTERPRISE, industry=Industry.HEALTHCARE, arr=Decimal("250000"))
    bayview = make_customer(
        name="Bayview Clinic", tier=Tier.ENTERPRISE, industry=Industry.HEALTHCARE, arr=Decimal("400000")
    )
    cedar = make_customer(
        name="Cedar Bank", tier=Tier.MID_MARKET, industry=Industry.FINANCIAL_SERVICES, arr=Decimal("80000")
    )
    dune = make_customer(name="Dune Retail", tier=Tier.STARTUP, industry=Industry.RETAIL, arr=Decimal("20000"))
    theme = make_theme(name="Fine-tuning jobs fail without actionable errors")
    themed = [
        make_feedback(customer=acme, verbatim="Our fine-tuning jobs fail after a few hours and we never learn why."),
        make_feedback(customer=acme, verbatim="Fine-tuning jobs fail silently; we cannot tell why the run stopped."),
        make_feedback(customer=bayview, verbatim="Every fine-tuning job we start fails midway without a useful error."),
    ]
    for item in themed:
        item.themes.add(theme)
    unthemed = make_feedback(
        customer=cedar, verbatim="Our fine-tuning jobs keep failing and the error message says nothing useful."
    )
    others = [
        make_feedback(customer=acme, verbatim="The invoice for October lists the wrong VAT number for our company."),
        make_feedback(customer=dune, verbatim="Please add a dark mode to the console, it hurts the eyes at night."),
        # On the topic's words but not an answer: scores well under the best hit, left out by the relevance cut.
        make_feedback(customer=dune, verbatim="Fine-tuning is great, the models trained on our data are much better."),
    ]
    embed_pending(provider=get_provider("offline"))
    return Base(acme, bayview, cedar, theme, themed, unthemed, others)
