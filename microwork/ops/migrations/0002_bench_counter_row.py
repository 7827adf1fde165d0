"""The one counter row the benchmark's bare write locks (microwork.ops.bench)."""

from django.db import migrations


def create_counter(apps, schema_editor):
    apps.get_model("ops", "BenchCounter").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("ops", "0001_initial")]

    operations = [migrations.RunPython(create_counter, migrations.RunPython.noop)]
