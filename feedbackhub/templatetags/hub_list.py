"""``{% hub_result_list cl %}``: the changelist table, its rows drawn by ``feedbackhub.result_list`` when it can."""

from django import template
from unfold.templatetags.unfold_list import result_headers, result_hidden_fields, result_list

from feedbackhub.result_list import fast_rows_apply, result_rows

register = template.Library()


@register.inclusion_tag("admin/hub_change_list_results.html", takes_context=True)
def hub_result_list(context, cl):
    if not fast_rows_apply(cl, context.get("actions_row")):
        return {"unfold": True, **result_list(context, cl)}
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "rows": result_rows(cl),
        "actions_row": None,
        "has_add_permission": cl.model_admin.has_add_permission(context["request"]),
    }
