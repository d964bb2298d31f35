# Sending: the recipients' pause choice and the "paused" skip reason.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0002_starter_templates'),
        ('contacts', '0004_event_kind_time_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='ContactMailPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('paused_until', models.DateTimeField(blank=True, null=True, verbose_name='no marketing mail until')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('contact', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='mail_preference', to='contacts.contact')),
            ],
            options={
                'verbose_name': 'mail preference',
                'verbose_name_plural': 'mail preferences',
            },
        ),
        migrations.AlterField(
            model_name='delivery',
            name='reason',
            field=models.CharField(blank=True, choices=[('no_consent', 'No consent on record'), ('unsubscribed', 'Unsubscribed'), ('bounced', 'Address bounced'), ('complained', 'Complained'), ('paused', 'Paused by the recipient'), ('frequency_cap', 'Frequency cap reached'), ('holdout', 'Held out (control group)'), ('no_email', 'No usable address'), ('exited', 'Left the campaign'), ('smtp_rejected', 'Refused by the mail server'), ('render_error', 'The template could not be rendered')], max_length=20, verbose_name='reason'),
        ),
    ]
