from django.apps import AppConfig


class EcrfConfig(AppConfig):
    name = "oncotrial.web.ecrf"
    label = "ecrf"
    verbose_name = "eCRFs and data management"
    default_auto_field = "django.db.models.BigAutoField"
