from __future__ import annotations

from django.urls import path

from example_project.orders import views

app_name = "orders"

urlpatterns = [
    path("", views.index, name="index"),
    path("products/<int:product_pk>/order/", views.place, name="place"),
    path("orders/<int:pk>/confirm/", views.confirm, name="confirm"),
]
