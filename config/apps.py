"""The admin app, with the project's own admin site (core/admin_site.py) as ``admin.site``."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "core.admin_site.StaffAdminSite"
