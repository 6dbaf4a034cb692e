"""Discovery records (issue 13, seed 001 "Product Discovery Tools & Processes"): design-partner programs and their
weekly check-ins, win/loss records and JTBD interviews. Each one's words become feedback items (``insights.discovery``)
so they are triaged, searched and counted with the rest."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from insights.choices import DealOutcome

PARTNERS_MIN, PARTNERS_MAX = 5, 8  # seed 001: "5-8 customers, not too many"


class DesignPartnerProgram(models.Model):
    """A small group of customers a launch is co-developed with: weekly check-ins, shipped to them first."""

    name = models.CharField(max_length=200)
    launch = models.ForeignKey("launches.Launch", on_delete=models.CASCADE, related_name="partner_programs")
    goal = models.TextField(blank=True, help_text="The problem the partners have and the launch solves.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class DesignPartner(models.Model):
    """One account in a program, with the person the check-ins are with."""

    program = models.ForeignKey(DesignPartnerProgram, on_delete=models.CASCADE, related_name="partners")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="partner_programs")
    contact_email = models.EmailField(blank=True)
    joined_on = models.DateField()

    class Meta:
        ordering = ["program", "customer__name"]
        constraints = [models.UniqueConstraint(fields=["program", "customer"], name="design_partner_unique")]

    def __str__(self) -> str:
        return f"{self.customer} in {self.program}"


class PartnerCheckIn(models.Model):
    """A weekly check-in with one partner; its notes become a feedback item (``feedback``)."""

    partner = models.ForeignKey(DesignPartner, on_delete=models.CASCADE, related_name="check_ins")
    week = models.DateField(help_text="The Monday of the week it was held.")
    notes = models.TextField()
    feedback = models.OneToOneField(
        "feedback.FeedbackItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-week", "-id"]
        constraints = [models.UniqueConstraint(fields=["partner", "week"], name="partner_check_in_weekly")]

    def __str__(self) -> str:
        return f"{self.partner.customer} check-in, week of {self.week}"


class WinLossRecord(models.Model):
    """A deal won or lost, or an account churned: who, against whom, and why. The reasons become feedback items
    flagged competitor (``competitors``) or churn (``churn_signal``)."""

    deal = models.CharField(max_length=200)
    crm_deal_id = models.CharField(max_length=100, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="win_loss_records",
        help_text="Empty for a prospect that never became a customer.",
    )
    prospect = models.CharField(max_length=200, blank=True, help_text="The company, when it is not a customer.")
    outcome = models.CharField(max_length=10, choices=DealOutcome.choices)
    competitor = models.CharField(max_length=50, blank=True)
    reasons = models.TextField(help_text="What tipped the decision, in their words.")
    amount = models.DecimalField("deal size (USD)", max_digits=14, decimal_places=2, null=True, blank=True)
    closed_on = models.DateField()
    feedback = models.OneToOneField(
        "feedback.FeedbackItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-closed_on", "-id"]
        verbose_name = "win/loss record"
        indexes = [models.Index(fields=["outcome", "-closed_on"], name="win_loss_outcome_idx")]

    def __str__(self) -> str:
        return f"{self.deal}: {self.get_outcome_display().lower()}"


class JtbdInterview(models.Model):
    """A jobs-to-be-done interview (seed 001's three questions); its notes become a feedback item linked to the theme
    it informs."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="jtbd_interviews"
    )
    interviewee = models.CharField(max_length=200, help_text="Name and role.")
    held_on = models.DateField()
    theme = models.ForeignKey(
        "themes.Theme", on_delete=models.SET_NULL, null=True, blank=True, related_name="jtbd_interviews"
    )
    first_realized = models.TextField("when did you first realize you needed this?", blank=True)
    before = models.TextField("what were you doing before?", blank=True)
    success = models.TextField("what would success look like?", blank=True)
    notes = models.TextField(blank=True)
    feedback = models.OneToOneField(
        "feedback.FeedbackItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = "JTBD interview"

    def __str__(self) -> str:
        return f"JTBD interview with {self.interviewee} ({self.held_on})"
