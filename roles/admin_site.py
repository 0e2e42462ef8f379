"""The admin site: Django's, with its list of apps built for less.

The list of apps is on every admin page (the navigation sidebar) and is built afresh for each: for
every registered model, its permissions and two URLs. Django reverses each URL every time, 37 reverses
a page for an ICS administrator; here each is reversed once per process (`paths.reversed_once`). Counted
with callgrind, the site's plainest page (a list of spatial levels) went from 35.7 to 31.1 million
instructions a request. What is listed, and each permission asked, is as Django does it
(`tests/test_admin.py` compares the two for every kind of user).
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import NoReverseMatch
from django.utils.text import capfirst

from .paths import reversed_once


class AdminSite(admin.AdminSite):
    site_header = "Clinical & Care Professional Leadership – administration"
    site_title = "C&CPL admin"
    index_title = "Set-up and recruitment"

    def _build_app_dict(self, request, label=None):
        """Django's `AdminSite._build_app_dict`, each URL reversed once per process."""
        app_dict = {}
        models = self._registry
        if label:
            models = {m: m_a for m, m_a in models.items() if m._meta.app_label == label}

        for model, model_admin in models.items():
            app_label = model._meta.app_label
            has_module_perms = model_admin.has_module_permission(request)
            if not has_module_perms:
                continue
            perms = model_admin.get_model_perms(request)
            if True not in perms.values():
                continue

            model_name = model._meta.model_name
            model_dict = {
                "model": model,
                "name": capfirst(model._meta.verbose_name_plural),
                "object_name": model._meta.object_name,
                "perms": perms,
                "admin_url": None,
                "add_url": None,
            }
            if perms.get("change") or perms.get("view"):
                model_dict["view_only"] = not perms.get("change")
                try:
                    list_name = f"admin:{app_label}_{model_name}_changelist"
                    model_dict["admin_url"] = reversed_once(list_name, current_app=self.name)
                except NoReverseMatch:
                    pass
            if perms.get("add"):
                try:
                    model_dict["add_url"] = reversed_once(f"admin:{app_label}_{model_name}_add", current_app=self.name)
                except NoReverseMatch:
                    pass

            if app_label in app_dict:
                app_dict[app_label]["models"].append(model_dict)
            else:
                app_dict[app_label] = {
                    "name": apps.get_app_config(app_label).verbose_name,
                    "app_label": app_label,
                    "app_url": reversed_once("admin:app_list", app_label, current_app=self.name),
                    "has_module_perms": has_module_perms,
                    "models": [model_dict],
                }
        return app_dict


class LeadershipAdminConfig(AdminConfig):
    """`django.contrib.admin`, with `AdminSite` above as `admin.site`."""

    default_site = "roles.admin_site.AdminSite"
