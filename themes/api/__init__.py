"""The themes REST API: serializers, viewsets and routes (mounted under /api/ by feedbackhub.api_urls)."""
