from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):
    """The stored forecast keeps its spend's parts, so that screens reuse it with the live
    balance. Rows stored before have no parts: they are marked as computed long ago, which
    screens never reuse (the next pass writes them again)."""

    dependencies = [("forecast", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="clientforecast",
            name="monthly_fees",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0.00"), max_digits=14,
                verbose_name="monthly fees",
            ),
        ),
        migrations.AddField(
            model_name="clientforecast",
            name="usage_average",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0.00"), max_digits=14,
                verbose_name="usage, a month on average",
            ),
        ),
        migrations.RunSQL(
            "UPDATE forecast_clientforecast SET computed_at = '2000-01-01T00:00:00Z'",
            migrations.RunSQL.noop,
        ),
    ]
