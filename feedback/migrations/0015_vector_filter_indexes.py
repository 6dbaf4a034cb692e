"""Indexes for Ask the hub's exact scans on the vectors' copied filters (0014): (customer, product, received_at) for a
segment, (product, received_at) for a product (it also finds the rows not copied yet, product NULL). Built
CONCURRENTLY (outside a transaction) so vectors go on being stored while a big table is indexed."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("feedback", "0014_vector_filters"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="feedbackembedding",
            index=models.Index(fields=["customer_id", "product", "received_at"], name="embedding_segment_idx"),
        ),
        AddIndexConcurrently(
            model_name="feedbackembedding",
            index=models.Index(fields=["product", "received_at"], name="embedding_product_idx"),
        ),
    ]
