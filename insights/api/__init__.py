"""The insights REST API: survey responses in (mounted under /api/ by feedbackhub.api_urls)."""
