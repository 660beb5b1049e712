"""Forms: field-level validation in the user's language before any service is called."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = [("", _("not recorded")), ("yes", _("yes")), ("no", _("no"))]
OTHER = "other"


class ScreeningForm(forms.Form):
    site = forms.ChoiceField(label=_("Site"))
    screened_on = forms.DateField(label=_("Screening date"), widget=DATE)
    initials = forms.CharField(label=_("Initials"), max_length=4, required=False)
    sex = forms.ChoiceField(label=_("Sex"), required=False,
                            choices=[("", "—"), ("female", _("female")), ("male", _("male"))])
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1900, max_value=2100)

    def __init__(self, *args, sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [(site.code, f"{site.code} {site.name}") for site in sites]


class ConsentForm(forms.Form):
    form_version = forms.CharField(label=_("Consent form version"), max_length=32)
    signed_on = forms.DateField(label=_("Date signed"), widget=DATE)
    signer = forms.CharField(label=_("Signed by (name)"), max_length=200)
    signer_relationship = forms.ChoiceField(label=_("Signer"), choices=[
        ("self", _("the subject")), ("legal_representative", _("legally acceptable representative"))])


class EnrolForm(forms.Form):
    enrolled_on = forms.DateField(label=_("Enrolment date"), widget=DATE)
    arm = forms.ChoiceField(label=_("Arm"), required=False)

    def __init__(self, *args, arms=(), choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(arms) > 1:
            self.fields["arm"].choices = [("", "—")] + [(arm.id, arm.name) for arm in arms]
        else:
            del self.fields["arm"]
        self.regimen_fields = {}
        for intervention in choices:  # the interventions whose regimen is chosen per patient
            name = f"regimen_{intervention.id}"
            self.fields[name] = forms.ChoiceField(
                label=_("Regimen: %(name)s") % {"name": intervention.name},
                choices=[("", "—")] + [(r.id, r.name) for r in intervention.regimens], required=False,
                help_text=_("chosen per patient; the calendar is drawn from it (or record it later on "
                            "the calendar)"))
            self.regimen_fields[name] = intervention.id

    def regimens(self) -> dict:
        return {item: self.cleaned_data[name] for name, item in self.regimen_fields.items()}


class EligibilityForm(forms.Form):
    """One field per screening fact the protocol's criteria read, labelled with the criterion text."""

    assessed_on = forms.DateField(label=_("Assessment date"), widget=DATE)

    def __init__(self, *args, criteria=(), known=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fact_fields: list[str] = []
        for criterion in criteria:
            if not criterion.field or criterion.field in self.fields:
                continue
            self.fields[criterion.field] = _fact_field(criterion)
            self.fact_fields.append(criterion.field)
        carry_forward(self, known or {})

    def facts(self) -> dict:
        """The answers as typed values; facts left blank are omitted (the criterion stays undecided)."""
        facts = {}
        for name in self.fact_fields:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            facts[name] = {"yes": True, "no": False}.get(value, value) if isinstance(value, str) else value
        return facts


def carry_forward(form, known: dict) -> None:
    """A fact recorded earlier (sex at screening, a screening answer) is shown, not asked again: its
    field is disabled, so the recorded value is the one submitted."""
    for name, value in known.items():
        if name in form.fields and value not in (None, ""):
            form.fields[name].disabled = True
            form.fields[name].help_text = _("recorded earlier; correct it where it was recorded")
            form.initial[name] = value


def _fact_field(criterion) -> forms.Field:
    from oncotrial.web.protocol_texts import localized

    kind = _("Inclusion") if criterion.kind == "inclusion" else _("Exclusion")
    label = f"{kind}: {localized(criterion, 'text')}"
    unit = f" ({criterion.unit})" if criterion.unit else ""
    if criterion.operator in ("is_true", "is_false"):
        return forms.ChoiceField(label=label, choices=YES_NO, required=False)
    if criterion.operator in ("in", "not_in"):
        from oncotrial.web.templatetags.oncotrial_ui import word

        choices = [("", _("not recorded"))] + [(str(v), word(v)) for v in criterion.value] + [(OTHER, _("other"))]
        return forms.ChoiceField(label=label, choices=choices, required=False)
    # Counts (age in years, ECOG) are whole numbers; a laboratory value is a decimal even where the
    # protocol's limit is whole (platelets >= 100, ALT/AST <= 5 x ULN: "1.2" is a valid answer).
    if isinstance(criterion.value, int) and not isinstance(criterion.value, bool) and criterion.unit in ("", "years"):
        return forms.IntegerField(label=label + unit, required=False)
    return forms.FloatField(label=label + unit, required=False, widget=forms.NumberInput(attrs={"step": "any"}))


class RandomizeForm(forms.Form):
    """The stratification factors, pre-filled from the screening answers when they hold them."""

    confirm = forms.BooleanField(label=_("I confirm the subject is enrolled and the factors are correct"))

    def __init__(self, *args, factors=(), known=None, **kwargs):
        from oncotrial.web.protocol_texts import localized
        from oncotrial.web.templatetags.oncotrial_ui import word

        super().__init__(*args, **kwargs)
        self.factor_ids = []
        for factor in factors:
            self.fields[factor.id] = forms.ChoiceField(
                label=localized(factor, "name"),
                choices=[("", "—")] + [(level, word(level)) for level in factor.levels])
            self.factor_ids.append(factor.id)
        self.order_fields([*self.factor_ids, "confirm"])
        carry_forward(self, known or {})

    def factors(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.factor_ids}


class AuditFilterForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), required=False, max_length=32)
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)


class EventForm(forms.Form):
    """A dated event of an enrolled subject; ``item`` offers the protocol's clocks, regimens and
    procedures."""

    kind = forms.ChoiceField(label=_("Event"))
    occurred_on = forms.DateField(label=_("Date"), widget=DATE)
    item = forms.ChoiceField(label=_("Clock, intervention or procedure"), required=False)
    value = forms.ChoiceField(label=_("Regimen (for a regimen choice)"), required=False)
    percent = forms.FloatField(label=_("Dose level, percent of protocol dose (reductions)"), required=False,
                               min_value=1, max_value=100)
    end_on = forms.DateField(label=_("Until (holds)"), required=False, widget=DATE)
    reason = forms.CharField(label=_("Reason / note"), required=False, max_length=200)

    def __init__(self, *args, kinds=(), items=(), regimens=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)
        self.fields["item"].choices = [("", "—")] + list(items)
        self.fields["value"].choices = [("", "—")] + list(regimens)


class UserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=10)


class GrantForm(forms.Form):
    user = forms.ChoiceField(label=_("User"))
    role = forms.ChoiceField(label=_("Role"))
    study = forms.ChoiceField(label=_("Study"), required=False)
    site = forms.ChoiceField(label=_("Site"), required=False)

    def __init__(self, *args, users=(), roles=(), studies=(), sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(u.username, u.username) for u in users]
        self.fields["role"].choices = list(roles)
        every = [("", _("every study (administrator only)"))]
        self.fields["study"].choices = every + [(s.code, s.code) for s in studies]
        self.fields["site"].choices = [("", _("every site"))] + [(s.code, f"{s.code} {s.name}") for s in sites]


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
