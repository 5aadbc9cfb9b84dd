from __future__ import annotations

from django.contrib import admin

from example_project.blog.models import Comment, Post


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "created_at")
    list_select_related = ("author",)
    search_fields = ("title", "body")
    raw_id_fields = ("author",)
    inlines = (CommentInline,)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "created_at")
    list_select_related = ("post",)
    search_fields = ("author_name", "email", "body")
    raw_id_fields = ("post",)
