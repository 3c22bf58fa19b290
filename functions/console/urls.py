"""Console screens of functions: catalog, editor, test runs, versions, delete."""

from django.urls import path

from functions.console import authoring, catalog, delete, editor, test_run, versions

urlpatterns = [
    path("catalog/", catalog.catalog, name="console-catalog"),
    path("functions/", catalog.functions_list, name="console-functions"),
    path("functions/new/", editor.function_new, name="console-function-new"),
    path("functions/new/create/", authoring.function_create, name="console-function-create"),
    path("functions/run/", test_run.function_run, name="console-function-run"),
    path("functions/samples/", test_run.function_samples, name="console-function-samples"),
    path("functions/<str:function_id>/", editor.function_page, name="console-function"),
    path(
        "functions/<str:function_id>/save/",
        authoring.function_save,
        name="console-function-save",
    ),
    path(
        "functions/<str:function_id>/deploy/",
        authoring.function_deploy,
        name="console-function-deploy",
    ),
    path(
        "functions/<str:function_id>/versions/",
        versions.versions_page,
        name="console-function-versions",
    ),
    path(
        "functions/<str:function_id>/versions/<str:version_id>/restore/",
        versions.version_restore,
        name="console-function-restore",
    ),
    path(
        "functions/<str:function_id>/delete/",
        delete.function_delete,
        name="console-function-delete",
    ),
]
