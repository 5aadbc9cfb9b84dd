from __future__ import annotations

from django.contrib import admin

from example_project.users.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "location")
    list_select_related = ("user",)
    search_fields = ("user__username", "location")
    raw_id_fields = ("user",)
