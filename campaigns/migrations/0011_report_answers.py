# The campaign report's stored answers (reports.campaign_answers keeps them; reports 0002 backfills them).
# Database defaults as well: broadcast runs insert deliveries with raw INSERT … SELECT, which names no new column.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0010_delivery_hot_dispatch_stamp'),
    ]

    operations = [
        migrations.AddField(
            model_name='delivery',
            name='report_touches',
            field=models.PositiveSmallIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='delivery',
            name='report_listed',
            field=models.CharField(blank=True, db_default='', default='', max_length=20),
        ),
        migrations.AddField(
            model_name='delivery',
            name='report_came_back',
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name='enrollment',
            name='report_came_back',
            field=models.BooleanField(db_default=False, default=False),
        ),
    ]
