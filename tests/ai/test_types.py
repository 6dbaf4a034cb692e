"""The provider's taxonomy is the hub's: a provider can only answer with values the feedback model stores."""

from ai import types
from feedback.choices import Category, Product, ProductArea, Severity


def test_given_the_hub_taxonomy_then_the_ai_taxonomy_lists_the_same_values_in_the_same_order():
    assert types.CATEGORIES == tuple(Category.values)
    assert types.PRODUCTS == tuple(Product.values)
    assert types.PRODUCT_AREAS == tuple(ProductArea.values)
    assert types.SEVERITIES == tuple(Severity.values)
