"""The public survey pages: /s/<token>/ (no login; the signed token is the only key)."""

app_name = "journeys"
urlpatterns: list = []
