from django.apps import AppConfig


class EcrfConfig(AppConfig):
    name = "oncotrial.web.ecrf"
    label = "ecrf"
    verbose_name = "eCRFs and data management"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from oncotrial.web.ecrf.services.calendar_link import link_records_entered_before_enrolment
        from oncotrial.web.services.subjects import subject_enrolled

        subject_enrolled.connect(link_records_entered_before_enrolment, dispatch_uid="ecrf-enrolment")
