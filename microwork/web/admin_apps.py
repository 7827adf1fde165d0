"""Django's admin, configured for Microwork (INSTALLED_APPS names this class)."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """Django's admin with its site answering only staff verified with a second factor (PL06)."""

    default_site = "microwork.web.admin_site.StaffAdminSite"
