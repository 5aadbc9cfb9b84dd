# Written for Django 4.2, 5.2 and 6.0 alike: the constraint comes from signalkit's helper,
# which spells the condition check= before Django 5.1 and condition= from 5.1 on.

from __future__ import annotations

from django.db import migrations, models

from signalkit.mixins.stock import non_negative_stock_constraint


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="units_sold",
            field=models.PositiveIntegerField(
                default=0, editable=False, help_text="Units of confirmed orders; kept up to date."
            ),
        ),
        migrations.AddConstraint(
            model_name="product",
            constraint=non_negative_stock_constraint(
                "quantity", name="products_product_quantity_non_negative"
            ),
        ),
    ]
