"""Admin pieces every app's admin may use."""

from django.contrib import admin


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows only code writes: nobody adds, changes or deletes them here, superusers included."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
