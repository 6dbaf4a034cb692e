"""Ask the hub's segment and product filters on the vector row (issue 13): each vector gets a copy of its item's
customer and product, as it has of ``received_at``. Both columns are added nullable with no default (no table rewrite);
rows stored before this migration read NULL ("not copied yet") until ``manage.py backfill_vector_filters`` fills them in
batches, and the retrieval reads the items' side while a space has such rows. From here on the database keeps the
copies: a trigger fills them when a vector is stored, another updates them when an item's customer or product changes.
The indexes follow in 0015, built concurrently."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0013_maturity_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedbackembedding",
            name="customer_id",
            field=models.BigIntegerField(
                blank=True,
                editable=False,
                help_text="Copy of the item's customer (set by the database): segment filters read it without a join.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="feedbackembedding",
            name="product",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Copy of the item's product (set by the database); NULL: a row stored before the copy existed, not backfilled yet (manage.py backfill_vector_filters), so its customer_id is unknown too.",
                max_length=20,
                null=True,
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="feedbackembedding",
            trigger=pgtrigger.compiler.Trigger(
                name="embedding_copy_item_filters",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n                    SELECT customer_id, product INTO NEW.customer_id, NEW.product\n                    FROM feedback_feedbackitem WHERE id = NEW.feedback_id;\n                    RETURN NEW;\n                ",
                    hash="ffe980e3986daf89e947ecbba0c1c7425a602f7b",
                    operation='INSERT OR UPDATE OF "feedback_id"',
                    pgid="pgtrigger_embedding_copy_item_filters_ee375",
                    table="feedback_feedbackembedding",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="feedbackitem",
            trigger=pgtrigger.compiler.Trigger(
                name="feedback_filters_to_vectors",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.product IS DISTINCT FROM NEW.product)",
                    func="\n                    UPDATE feedback_feedbackembedding SET customer_id = NEW.customer_id, product = NEW.product\n                    WHERE feedback_id = NEW.id;\n                    RETURN NULL;\n                ",
                    hash="fb2708d7d586aa8f280e833f3134afd03897df2a",
                    operation='UPDATE OF "customer_id", "product"',
                    pgid="pgtrigger_feedback_filters_to_vectors_7eb2b",
                    table="feedback_feedbackitem",
                    when="AFTER",
                ),
            ),
        ),
    ]
