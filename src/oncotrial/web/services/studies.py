"""Studies from bundled or imported protocols, protocol amendments and study sites."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone

from oncotrial.domain.protocol.model import Protocol, load_protocol
from oncotrial.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from oncotrial.web.models import ProtocolVersion, Role, Site, Study, StudySite
from oncotrial.web.services.audit import record_audit
from oncotrial.web.services.permissions import is_administrator, require_role


def _require_admin(actor, how: str, study=None) -> str:
    if actor is None and how in ("cli", "system"):
        return "system"
    if study is None:
        if not is_administrator(actor):
            raise PermissionDenied("only an administrator may create studies")
        return Role.ADMINISTRATOR
    return require_role(actor, study, None, {Role.ADMINISTRATOR}, "manage this study").role


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@transaction.atomic
def create_study(actor, protocol_text: str, *, code: str = "", effective_on, how: str = "page",
                 add_protocol_sites: bool = True, allocation_seed: int | None = None) -> Study:
    """Create a study from a protocol's YAML text; the protocol becomes its first version and, with
    ``add_protocol_sites``, the protocol's sites join it."""
    role = _require_admin(actor, how)
    protocol = load_protocol(protocol_text, source="protocol")
    code = (code or protocol.id).strip()
    if Study.objects.filter(code=code).exists():
        raise Conflict(f"study '{code}' already exists", field="code",
                       hint="amend its protocol instead, or choose another code")
    study = Study.objects.create(code=code, protocol_id=protocol.id, title=protocol.title,
                                 status=_initial_status(protocol), created_at=timezone.now())
    _store_version(actor, study, protocol, protocol_text, effective_on)
    if protocol.is_randomized:
        from oncotrial.web.services.randomization import create_allocation_state

        create_allocation_state(study, allocation_seed)
    record_audit(user=actor, role=role, action="create", how=how, entity="study", entity_id=study.pk,
                 study=study, changes=[{"field": "protocol", "old": None, "new": f"{protocol.id} v{protocol.version}"}])
    for site in protocol.sites if add_protocol_sites else ():
        add_site(actor, study, code=_site_code(site.id), name=site.name, city=site.city,
                 region=site.region, country=site.country, timezone=site.timezone, how=how)
    return study


def create_study_from_builtin(actor, protocol_id: str, *, code: str = "", effective_on, how: str = "page",
                              add_protocol_sites: bool = True, allocation_seed: int | None = None) -> Study:
    from oncotrial.protocols import builtin_protocol_text

    return create_study(actor, builtin_protocol_text(protocol_id), code=code, effective_on=effective_on,
                        how=how, add_protocol_sites=add_protocol_sites, allocation_seed=allocation_seed)


def _initial_status(protocol: Protocol) -> str:
    return "recruiting" if protocol.registry.status in ("recruiting", "unknown") else "setup"


def _site_code(site_id: str) -> str:
    existing = Site.objects.filter(code=site_id[:8]).first()
    if existing is not None or len(site_id) <= 8:
        return site_id[:8]
    return f"{Site.objects.count() + 1:02d}"


def _store_version(actor, study, protocol: Protocol, text: str, effective_on) -> ProtocolVersion:
    return ProtocolVersion.objects.create(
        study=study, version=protocol.version, text=text, sha256=_fingerprint(text),
        effective_on=effective_on, loaded_at=timezone.now(), loaded_by=actor)


@transaction.atomic
def amend_protocol(actor, study: Study, protocol_text: str, *, effective_on, reason: str,
                   how: str = "page") -> ProtocolVersion:
    """Store a new protocol version (an amendment); records written from now on point at it."""
    role = _require_admin(actor, how, study)
    protocol = load_protocol(protocol_text, source="amendment")
    if protocol.id != study.protocol_id:
        raise InvalidInput(f"the amendment is for protocol '{protocol.id}', the study runs "
                           f"'{study.protocol_id}'", field="protocol")
    if study.protocol_versions.filter(version=protocol.version).exists():
        raise Conflict(f"study {study.code} already has protocol version {protocol.version}",
                       field="version", hint="raise the protocol's version number")
    previous = study.current_version()
    version = _store_version(actor, study, protocol, protocol_text, effective_on)
    study.title = protocol.title
    study.save(update_fields=["title"])
    record_audit(user=actor, role=role, action="amend", how=how, entity="protocol_version",
                 entity_id=version.pk, study=study, reason=reason,
                 changes=[{"field": "version", "old": previous.version if previous else None,
                           "new": version.version}])
    return version


@transaction.atomic
def add_site(actor, study: Study, *, code: str, name: str, city: str = "", region: str = "",
             country: str = "", timezone: str = "UTC", how: str = "page") -> Site:
    """Add a site to a study (creating the site when its code is new)."""
    role = _require_admin(actor, how, study)
    code = code.strip()
    if not code or len(code) > 8 or not code.replace("-", "").isalnum():
        raise InvalidInput(f"site code '{code}' must be 1-8 letters or digits", field="code")
    site, created = Site.objects.get_or_create(
        code=code, defaults={"name": name, "city": city, "region": region, "country": country,
                             "timezone": timezone})
    if StudySite.objects.filter(study=study, site=site).exists():
        raise Conflict(f"site {code} already takes part in study {study.code}", field="code")
    StudySite.objects.create(study=study, site=site)
    record_audit(user=actor, role=role, action="site_add", how=how, entity="site", entity_id=site.pk,
                 study=study, site=site, changes=[{"field": "site", "old": None, "new": f"{code} {site.name}"}])
    return site


def find_study(code: str) -> Study:
    study = Study.objects.filter(code=code).first()
    if study is None:
        raise NotFound(f"study '{code}' does not exist or is not visible to you", field="study")
    return study
