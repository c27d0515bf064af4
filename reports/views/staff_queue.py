"""Filled in by the staff work for issue 3."""

urlpatterns = []
