"""The provider's taxonomy is the hub's: a provider can only answer with values the feedback model stores."""

from ai import types
from feedback.choices import Category, Product, ProductArea, Severity


def test_given_the_hub_taxonomy_then_the_ai_taxonomy_lists_the_same_values_in_the_same_order():
    assert tuple(Category.values) == types.CATEGORIES
    assert tuple(Product.values) == types.PRODUCTS
    assert tuple(ProductArea.values) == types.PRODUCT_AREAS
    assert tuple(Severity.values) == types.SEVERITIES
