"""Mail topics: the MailTopic table, a campaign's optional topic, per-contact topic opt-outs, the new skip reason.

Seeds the default topics of a B2B workspace (frozen here, not read from app
code). Idempotent by key: a topic an admin already created with one of these
keys is left as it is. Every seeded topic is ordinary marketing mail that a
recipient can opt out of, renewal reminders included: they offer plans and
options, so they are advertising under the Act on Specified Electronic Mail,
and Rekindle sends no transactional mail. The migration's reverse drops the
tables, so the data step has nothing to undo.
"""
import django.db.models.deletion
from django.db import migrations, models

# (key, position, name, name_en, description, description_en)
DEFAULT_TOPICS = (
    ("newsletter", 10, "ニュースレター", "Newsletter",
     "製品の最新情報や業界の動向を定期的にお届けします。",
     "Regular news about our products and the industry."),
    ("events", 20, "セミナー・ウェビナーのご案内", "Webinars and events",
     "開催予定のセミナー、ウェビナー、展示会へのご招待です。",
     "Invitations to upcoming seminars, webinars and trade shows."),
    ("content", 30, "導入事例・お役立ち情報", "Case studies and useful content",
     "導入事例、ホワイトペーパー、活用のヒントをお届けします。",
     "Customer stories, white papers and tips for getting more out of the product."),
    ("renewal", 40, "契約更新のご案内", "Renewal reminders and offers",
     "ご契約の更新時期のお知らせと、更新プランのご案内です。",
     "Reminders before your contract's renewal date, with the plans and options on offer."),
)


def seed_topics(apps, schema_editor):
    MailTopic = apps.get_model("campaigns", "MailTopic")
    for key, position, name, name_en, description, description_en in DEFAULT_TOPICS:
        MailTopic.objects.get_or_create(key=key, defaults={
            "position": position, "name": name, "name_en": name_en, "description": description,
            "description_en": description_en, "is_active": True})


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0006_enrollment_lookup_index'),
        ('contacts', '0004_event_kind_time_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='MailTopic',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.SlugField(help_text='A short fixed identifier, e.g. “webinars”. Cannot be changed later.', unique=True, verbose_name='key')),
                ('name', models.CharField(max_length=100, verbose_name='name (Japanese)')),
                ('name_en', models.CharField(blank=True, help_text='Shown on English pages; empty means the Japanese name is shown.', max_length=100, verbose_name='name (English)')),
                ('description', models.CharField(blank=True, help_text='One sentence for recipients on the unsubscribe page.', max_length=300, verbose_name='description (Japanese)')),
                ('description_en', models.CharField(blank=True, max_length=300, verbose_name='description (English)')),
                ('is_active', models.BooleanField(default=True, help_text='Inactive topics are not offered to new campaigns or on the unsubscribe page; opt-outs already recorded stay in force.', verbose_name='active')),
                ('position', models.PositiveSmallIntegerField(default=0, help_text='Lower numbers are listed first.', verbose_name='position')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': 'mail topic',
                'verbose_name_plural': 'mail topics',
                'ordering': ['position', 'id'],
            },
        ),
        migrations.AlterField(
            model_name='delivery',
            name='reason',
            field=models.CharField(blank=True, choices=[('no_consent', 'No consent on record'), ('unsubscribed', 'Unsubscribed'), ('bounced', 'Address bounced'), ('complained', 'Complained'), ('paused', 'Paused by the recipient'), ('topic_opt_out', 'Opted out of this topic'), ('frequency_cap', 'Frequency cap reached'), ('holdout', 'Held out (control group)'), ('no_email', 'No usable address'), ('exited', 'Left the campaign'), ('smtp_rejected', 'Refused by the mail server'), ('render_error', 'The template could not be rendered')], max_length=20, verbose_name='reason'),
        ),
        migrations.AddField(
            model_name='campaign',
            name='topic',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='campaigns', to='campaigns.mailtopic', verbose_name='topic'),
        ),
        migrations.CreateModel(
            name='ContactTopicOptOut',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='opted out at')),
                ('contact', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='topic_opt_outs', to='contacts.contact')),
                ('topic', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='opt_outs', to='campaigns.mailtopic', verbose_name='topic')),
            ],
            options={
                'verbose_name': 'topic opt-out',
                'verbose_name_plural': 'topic opt-outs',
                'constraints': [models.UniqueConstraint(fields=('contact', 'topic'), name='topic_opt_out_once')],
            },
        ),
        migrations.RunPython(seed_topics, migrations.RunPython.noop),
    ]
