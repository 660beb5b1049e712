from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "oncotrial.web"
    label = "web"
    verbose_name = "oncotrial"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from oncotrial.web import signals  # noqa: F401  (login / failed login into the audit trail)
