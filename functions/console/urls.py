from django.urls import path

from functions.console import views

urlpatterns = [
    path("catalog/", views.catalog, name="console-catalog"),
]
