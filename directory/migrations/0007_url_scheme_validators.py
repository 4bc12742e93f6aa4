# Validators only: no schema change (issue 7).

import directory.core.safe_urls
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0006_parents_topics'),
    ]

    operations = [
        migrations.AlterField(
            model_name='organisation',
            name='url',
            field=models.URLField(blank=True, validators=[directory.core.safe_urls.validate_url_scheme], verbose_name='website'),
        ),
        migrations.AlterField(
            model_name='referralroute',
            name='url',
            field=models.URLField(blank=True, validators=[directory.core.safe_urls.validate_url_scheme], verbose_name='referral link'),
        ),
        migrations.AlterField(
            model_name='service',
            name='url',
            field=models.URLField(blank=True, validators=[directory.core.safe_urls.validate_url_scheme], verbose_name='website'),
        ),
    ]
