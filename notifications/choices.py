from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its first try, or for the next one after a failure
    SENDING = "sending", "Sending"  # claimed by a worker (notifications.delivery): in flight until its lease ends
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"  # gave up after MAX_ATTEMPTS: visible in the admin, retried from there by a person
    CANCELLED = "cancelled", "Cancelled"


class Kind(models.TextChoices):
    ALERT = "alert", "Alert"
    ESCALATION = "escalation", "Escalation"
    DIGEST = "digest", "Weekly digest"
    CUSTOMER_UPDATE = "customer_update", "Customer update"
    CHANGELOG = "changelog", "Changelog"
    TIME_TO_VERIFY = "time_to_verify", "Time to verify"
    SURVEY = "survey", "Survey"
    OTHER = "other", "Other"


class DigestAudience(models.TextChoices):
    PRODUCT = "product", "Product channel"
    ACCOUNT_OWNER = "account_owner", "Account owner"
