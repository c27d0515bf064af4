# Somali and Hmong columns for every catalog text residents read (modeltranslation), and the city's
# phone line for each language.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0011_outbox_wake_failed'),
    ]

    operations = [
        migrations.CreateModel(
            name='LanguageLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(help_text='A language code the site offers: es, so, hmn.', max_length=10, unique=True)),
                ('phone', models.CharField(max_length=30)),
                ('order', models.PositiveIntegerField(default=0)),
                ('active', models.BooleanField(default=True)),
            ],
            options={
                'ordering': ['order', 'language'],
            },
        ),
        migrations.AddField(
            model_name='holiday',
            name='name_hmn',
            field=models.CharField(max_length=100, null=True),
        ),
        migrations.AddField(
            model_name='holiday',
            name='name_so',
            field=models.CharField(max_length=100, null=True),
        ),
        migrations.AddField(
            model_name='question',
            name='help_text_hmn',
            field=models.CharField(blank=True, max_length=300, null=True),
        ),
        migrations.AddField(
            model_name='question',
            name='help_text_so',
            field=models.CharField(blank=True, max_length=300, null=True),
        ),
        migrations.AddField(
            model_name='question',
            name='label_hmn',
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name='question',
            name='label_so',
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name='questionchoice',
            name='name_hmn',
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name='questionchoice',
            name='name_so',
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name='queue',
            name='description_hmn',
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='queue',
            name='description_so',
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='queue',
            name='name_hmn',
            field=models.CharField(max_length=100, null=True),
        ),
        migrations.AddField(
            model_name='queue',
            name='name_so',
            field=models.CharField(max_length=100, null=True),
        ),
        migrations.AddField(
            model_name='referralreason',
            name='explanation_hmn',
            field=models.TextField(help_text='What the resident is told, in plain words.', null=True),
        ),
        migrations.AddField(
            model_name='referralreason',
            name='explanation_so',
            field=models.TextField(help_text='What the resident is told, in plain words.', null=True),
        ),
        migrations.AddField(
            model_name='referralreason',
            name='label_hmn',
            field=models.CharField(max_length=150, null=True),
        ),
        migrations.AddField(
            model_name='referralreason',
            name='label_so',
            field=models.CharField(max_length=150, null=True),
        ),
        migrations.AddField(
            model_name='rejectionreason',
            name='explanation_hmn',
            field=models.TextField(help_text='What the resident is told, in plain words.', null=True),
        ),
        migrations.AddField(
            model_name='rejectionreason',
            name='explanation_so',
            field=models.TextField(help_text='What the resident is told, in plain words.', null=True),
        ),
        migrations.AddField(
            model_name='rejectionreason',
            name='label_hmn',
            field=models.CharField(max_length=150, null=True),
        ),
        migrations.AddField(
            model_name='rejectionreason',
            name='label_so',
            field=models.CharField(max_length=150, null=True),
        ),
        migrations.AddField(
            model_name='reportsubtype',
            name='description_hmn',
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='reportsubtype',
            name='description_so',
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='reportsubtype',
            name='name_hmn',
            field=models.CharField(max_length=100, null=True),
        ),
        migrations.AddField(
            model_name='reportsubtype',
            name='name_so',
            field=models.CharField(max_length=100, null=True),
        ),
        migrations.AddField(
            model_name='reporttype',
            name='advice_hmn',
            field=models.TextField(blank=True, help_text='What the resident should do while they wait, shown once the report is filed. One piece of advice a line.', null=True),
        ),
        migrations.AddField(
            model_name='reporttype',
            name='advice_so',
            field=models.TextField(blank=True, help_text='What the resident should do while they wait, shown once the report is filed. One piece of advice a line.', null=True),
        ),
        migrations.AddField(
            model_name='reporttype',
            name='description_hmn',
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='reporttype',
            name='description_so',
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='reporttype',
            name='name_hmn',
            field=models.CharField(max_length=100, null=True),
        ),
        migrations.AddField(
            model_name='reporttype',
            name='name_so',
            field=models.CharField(max_length=100, null=True),
        ),
    ]
