"""Demo: Ask the hub — a few questions a PM would ask, asked through ``insights.ask.ask`` so the admin's question
box opens with recent questions and their answers.

Runs after the feedback is loaded. Retrieval reads the items' vectors, so the items not embedded yet are embedded
first (what the periodic backfill does), with the configured provider. Creates no feedback; a second run asks only
the questions not asked yet. ``load_demo --reset`` empties ``insights_askedquestion``.
"""

from __future__ import annotations

from ai.providers import get_provider
from feedback.services import embed_pending
from insights.ask import ask
from insights.models import AskedQuestion

QUESTIONS = [
    "What do enterprise healthcare customers say about fine-tuning?",
    "What do customers say about latency at peak hours in the last 90 days?",
    "Why do financial services customers ask for EU data residency?",
    "What do customers say about Codestral in their IDE?",
    "What do customers think of our office coffee machine?",  # off topic: "not enough evidence"
]


def load(stdout) -> None:
    embedded = embed_pending(provider=get_provider())
    asked = set(AskedQuestion.objects.filter(question__in=QUESTIONS).values_list("question", flat=True))
    answers = [ask(question, writer=None) for question in QUESTIONS if question not in asked]
    abstained = sum(answer.abstained for answer in answers)
    stdout.write(
        f"Ask the hub: {embedded} items embedded, {len(answers)} questions asked "
        f"({len(answers) - abstained} answered, {abstained} not enough evidence)."
    )
