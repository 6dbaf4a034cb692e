"""``{% change_history original %}``: the who-changed-what list on a change page."""

from django import template

from feedbackhub.history import changes_of

register = template.Library()


@register.inclusion_tag("feedbackhub/change_history.html")
def change_history(obj, limit: int = 25):
    tracked = obj is not None and hasattr(obj, "events")  # django-pghistory's relation on a tracked model
    return {"tracked": tracked, "changes": changes_of(obj, limit=limit) if tracked else [], "limit": limit}
