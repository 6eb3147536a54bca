"""The two newsroom roles as groups: Authors write, Editors review, publish and manage the library.

Kept in step by migrations: a later change to what a role may do is a new
migration that calls ``roles_sync`` again. Superusers need no group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AUTHORS = "Authors"
EDITORS = "Editors"

# (app label, model, actions) — Authors write their own briefs, upload photos,
# and may add (not change) authors and engagement resources while writing.
AUTHOR_PERMISSIONS = [
    ("briefs", "brief", ["add", "change", "delete", "view"]),
    ("briefs", "section", ["add", "change", "delete", "view"]),
    ("briefs", "briefauthor", ["add", "change", "delete", "view"]),
    ("briefs", "briefresource", ["add", "change", "delete", "view"]),
    ("briefs", "photo", ["add", "change", "view"]),
    ("briefs", "author", ["add", "view"]),
    ("briefs", "engagementresource", ["add", "view"]),
    ("briefs", "series", ["view"]),
    ("briefs", "topic", ["view"]),
]
EDITOR_MODELS = [
    "brief", "section", "briefauthor", "briefresource", "photo", "author", "engagementresource", "series", "topic",
    "sectionphoto",
]  # fmt: skip
EDITOR_EXTRA = ["publish_brief", "edit_any_brief"]


def roles_sync(apps, schema_editor):
    # Permissions are normally created after migrations; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        if getattr(app_config, "models_module", None) is None:  # a migration's historical app: create_permissions wants models
            app_config.models_module = True
            create_permissions(app_config, verbosity=0)
            app_config.models_module = None
        else:
            create_permissions(app_config, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(app_label, model, actions):
        codenames = [f"{action}_{model}" for action in actions]
        return list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))

    authors, _ = Group.objects.get_or_create(name=AUTHORS)
    authors.permissions.set([p for app, model, actions in AUTHOR_PERMISSIONS for p in permissions(app, model, actions)])

    editors, _ = Group.objects.get_or_create(name=EDITORS)
    wanted = [p for model in EDITOR_MODELS for p in permissions("briefs", model, ["add", "change", "delete", "view"])]
    wanted += list(Permission.objects.filter(content_type__app_label="briefs", codename__in=EDITOR_EXTRA))
    editors.permissions.set(wanted)


class Migration(migrations.Migration):
    dependencies = [
        ("briefs", "0013_remove_section_photo_fields"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
