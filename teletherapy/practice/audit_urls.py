"""The Audit log tab of Practice Settings (the audit app keeps the rows; practice shows them).

The namespace stays "audit" so links read {% url 'audit:log' %}.
"""

from django.urls import path

from teletherapy.practice import audit_views

app_name = "audit"
urlpatterns = [
    path("", audit_views.audit_log, name="log"),
    path("export/", audit_views.audit_export, name="export"),
]
