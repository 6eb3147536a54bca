from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("briefs", "0012_section_photos_into_text")]

    operations = [
        migrations.RemoveField(model_name="section", name="photo"),
        migrations.RemoveField(model_name="section", name="photo_placement"),
    ]
