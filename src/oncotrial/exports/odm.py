"""CDISC ODM 1.3.2 (spec standards.md §4): the eCRF's design as study metadata (Protocol,
StudyEventDef, FormDef, ItemGroupDef, ItemDef, CodeList) and its clinical data (SubjectData >
StudyEventData > FormData > ItemGroupData > ItemData) with the audit trail and the e-signatures:
each FormData carries its latest AuditRecord and, for a signed tumour-assessment visit, the
latest visit Signature; each SubjectData its latest casebook Signature (inline signatures are
those that still match the data signed); ClinicalData/AuditRecords and ClinicalData/Signatures
hold every entry (ODM 1.3.1 containers). Users, sites and signature
meanings are AdminData. Validates against CDISC's ODM1-3-2.xsd; `read_odm_metadata` reads the
metadata back into the same `EcrfDesign`.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from .bundle import ExportStudy
from .ecrf import EcrfDesign, EcrfExport, EcrfField, FormRecord, SignatureEntry, ecrf_of

NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DATA_TYPES = {"text": "text", "date": "date", "decimal": "float", "integer": "integer", "choice": "text",
              "bool": "boolean", "list": "text"}
KIND_OF_TYPE = {"text": "text", "date": "date", "float": "decimal", "integer": "integer", "boolean": "bool"}
TEXT_KINDS = ("text", "choice", "list")
KIND_ALIAS = "oncotrial:kind"
LEGAL_REASON = "Electronic signature under 21 CFR Part 11 (11.50, 11.70, 11.200)"


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, attributes: dict | None = None, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, _q(tag), {k: v for k, v in (attributes or {}).items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _translated(parent: ET.Element, tag: str, text: str) -> None:
    _sub(_sub(parent, tag), "TranslatedText", {XML_LANG: "en"}, text)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _item_oid(form: str, field: str, group: str = "") -> str:
    return f"IT.{form}.{group}.{field}" if group else f"IT.{form}.{field}"


def _group_oid(form: str, group: str = "") -> str:
    return f"IG.{form}.{group}" if group else f"IG.{form}"


def _events(mdv: ET.Element, design: EcrfDesign) -> None:
    protocol = _sub(mdv, "Protocol")
    for order, event in enumerate(design.events, start=1):
        _sub(protocol, "StudyEventRef", {"StudyEventOID": f"SE.{event.name}", "OrderNumber": str(order),
                                         "Mandatory": "No"})
    for event in design.events:
        element = _sub(mdv, "StudyEventDef", {"OID": f"SE.{event.name}", "Name": event.label, "Repeating": "No",
                                              "Type": "Scheduled"})
        for order, form in enumerate(event.forms, start=1):
            _sub(element, "FormRef", {"FormOID": f"F.{form}", "OrderNumber": str(order), "Mandatory": "No"})


def _forms(mdv: ET.Element, design: EcrfDesign) -> None:
    for form in design.forms:
        element = _sub(mdv, "FormDef", {"OID": f"F.{form.name}", "Name": form.label,
                                        "Repeating": "Yes" if form.repeating else "No"})
        _sub(element, "ItemGroupRef", {"ItemGroupOID": _group_oid(form.name), "Mandatory": "Yes"})
        for group in form.groups:
            _sub(element, "ItemGroupRef", {"ItemGroupOID": _group_oid(form.name, group.name), "Mandatory": "No"})
    for form in design.forms:
        _item_group(mdv, form.name, "", form.label, form.fields, repeating=False)
        for group in form.groups:
            _item_group(mdv, form.name, group.name, group.label, group.fields, repeating=True)


def _item_group(mdv, form: str, group: str, label: str, fields, *, repeating: bool) -> None:
    element = _sub(mdv, "ItemGroupDef", {"OID": _group_oid(form, group), "Name": label,
                                         "Repeating": "Yes" if repeating else "No"})
    for order, field in enumerate(fields, start=1):
        _sub(element, "ItemRef", {"ItemOID": _item_oid(form, field.name, group), "OrderNumber": str(order),
                                  "Mandatory": "No"})


def _number(value: float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _item(mdv: ET.Element, oid: str, field: EcrfField) -> None:
    attributes = {"OID": oid, "Name": field.name, "DataType": DATA_TYPES[field.kind]}
    if field.kind in TEXT_KINDS:
        attributes["Length"] = str(field.max_length)
    element = _sub(mdv, "ItemDef", attributes)
    if field.help:
        _translated(element, "Description", field.help)
    _translated(element, "Question", field.label)
    for comparator, bound in (("GE", field.minimum), ("LE", field.maximum)):
        if bound is not None:
            check = _sub(element, "RangeCheck", {"Comparator": comparator, "SoftHard": "Hard"})
            _sub(check, "CheckValue", text=_number(bound))
    if field.kind == "choice":
        _sub(element, "CodeListRef", {"CodeListOID": oid.replace("IT.", "CL.", 1)})
    _sub(element, "Alias", {"Context": KIND_ALIAS, "Name": field.kind})


def _codelist(mdv: ET.Element, oid: str, field: EcrfField) -> None:
    element = _sub(mdv, "CodeList", {"OID": oid.replace("IT.", "CL.", 1), "Name": field.label, "DataType": "text"})
    for choice in field.choices:
        _translated(_sub(element, "CodeListItem", {"CodedValue": choice}), "Decode",
                    choice.replace("_", " ").capitalize())


def _all_fields(design: EcrfDesign):
    for form in design.forms:
        yield from ((_item_oid(form.name, f.name), f) for f in form.fields)
        for group in form.groups:
            yield from ((_item_oid(form.name, f.name, group.name), f) for f in group.fields)


def build_metadata(study_element: ET.Element, study: ExportStudy, design: EcrfDesign) -> None:
    """MetaDataVersion of the eCRF design under `study_element`."""
    mdv = _sub(study_element, "MetaDataVersion", {"OID": _mdv_oid(study), "Name": f"{study.protocol.id} version "
                                                  f"{study.protocol.version} eCRF"})
    _events(mdv, design)
    _forms(mdv, design)
    fields = list(_all_fields(design))
    for oid, field in fields:
        _item(mdv, oid, field)
    for oid, field in fields:
        if field.kind == "choice":
            _codelist(mdv, oid, field)


def _mdv_oid(study: ExportStudy) -> str:
    return f"MDV.{study.protocol.version}"


def _user(username: str) -> str:
    return f"USR.{username or 'system'}"


def _admin(root: ET.Element, study: ExportStudy, ecrf: EcrfExport) -> dict[str, str]:
    """AdminData (users, sites, signature meanings); returns meaning → SignatureDef OID."""
    admin = _sub(root, "AdminData", {"StudyOID": f"ST.{study.studyid}"})
    names = {s.username: s.printed_name for s in ecrf.signatures}
    users = sorted({a.username for r in ecrf.records for a in r.audit} | set(names))
    for username in users:
        user = _sub(admin, "User", {"OID": _user(username)})
        _sub(user, "LoginName", text=username or "system")
        if names.get(username):
            _sub(user, "FullName", text=names[username])
    sites = sorted({s.code for s in study.sites} | {r.site for r in ecrf.records} | {f.site for f in study.facts})
    for code in sites:
        location = _sub(admin, "Location", {"OID": f"LOC.{code}", "Name": f"Site {code}", "LocationType": "Site"})
        _sub(location, "MetaDataVersionRef", {"StudyOID": f"ST.{study.studyid}", "MetaDataVersionOID":
                                              _mdv_oid(study), "EffectiveDate": study.cutoff.isoformat()})
    meanings = {m: f"SD.{n}" for n, m in enumerate(dict.fromkeys(s.meaning for s in ecrf.signatures), start=1)}
    for meaning, oid in meanings.items():
        definition = _sub(admin, "SignatureDef", {"OID": oid, "Methodology": "Electronic"})
        _sub(definition, "Meaning", text=meaning)
        _sub(definition, "LegalReason", text=LEGAL_REASON)
    return meanings


def _audit(parent: ET.Element, record: FormRecord, entry, site: str, ident: str | None = None) -> None:
    element = _sub(parent, "AuditRecord", {"EditPoint": "DBAudit", "UsedImputationMethod": "No", "ID": ident})
    _sub(element, "UserRef", {"UserOID": _user(entry.username)})
    _sub(element, "LocationRef", {"LocationOID": f"LOC.{site}"})
    _sub(element, "DateTimeStamp", text=_stamp(entry.at))
    if entry.reason:
        _sub(element, "ReasonForChange", text=entry.reason)
    changed = f" ({', '.join(entry.fields)})" if entry.fields else ""
    _sub(element, "SourceID", text=f"{record.form} {record.record_id}: {entry.action}{changed}")


def _signature(parent: ET.Element, signature: SignatureEntry, site: str, meanings, ident: str | None = None) -> None:
    element = _sub(parent, "Signature", {"ID": ident})
    _sub(element, "UserRef", {"UserOID": _user(signature.username)})
    _sub(element, "LocationRef", {"LocationOID": f"LOC.{site}"})
    _sub(element, "SignatureRef", {"SignatureOID": meanings[signature.meaning]})
    _sub(element, "DateTimeStamp", text=_stamp(signature.at))


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _item_data(parent: ET.Element, attributes: dict, values) -> None:
    group = _sub(parent, "ItemGroupData", attributes)
    for name, value in values:
        if value not in (None, "", []):
            oid = f"IT.{attributes['ItemGroupOID'][3:]}.{name}"
            _sub(group, "ItemData", {"ItemOID": oid, "Value": _value(value)})


def _form_data(event: ET.Element, design: EcrfDesign, record: FormRecord, latest_sign, meanings) -> None:
    form = design.form(record.form)
    element = _sub(event, "FormData", {"FormOID": f"F.{record.form}",
                                       "FormRepeatKey": record.record_id if form.repeating else None})
    if record.audit:
        _audit(element, record, record.audit[-1], record.site)
    if latest_sign is not None:
        _signature(element, latest_sign, record.site, meanings)
    _item_data(element, {"ItemGroupOID": _group_oid(record.form)}, record.values)
    for group in form.groups:
        for key, row in enumerate(record.rows, start=1):
            _item_data(element, {"ItemGroupOID": _group_oid(record.form, group.name),
                                 "ItemGroupRepeatKey": str(key)}, row)


def _latest(signatures, **match) -> SignatureEntry | None:
    """The latest signature that still matches the data it signed (an invalidated one stays in
    ClinicalData/Signatures only)."""
    found = [s for s in signatures if s.valid and all(getattr(s, k) == v for k, v in match.items())]
    return max(found, key=lambda s: s.at, default=None)


def _subject(clinical: ET.Element, study: ExportStudy, ecrf: EcrfExport, sid: str, meanings) -> None:
    records = [r for r in ecrf.records if r.subject_id == sid]
    site = study.facts_by_id[sid].site if sid in study.facts_by_id else records[0].site
    subject = _sub(clinical, "SubjectData", {"SubjectKey": sid})
    casebook = _latest(ecrf.signatures, subject_id=sid, scope="casebook")
    if casebook is not None:
        _signature(subject, casebook, site, meanings)
    _sub(subject, "SiteRef", {"LocationOID": f"LOC.{site}"})
    for event in ecrf.design.events:
        mine = [r for r in records if ecrf.design.event_of(r.form) == event.name]
        if mine:
            element = _sub(subject, "StudyEventData", {"StudyEventOID": f"SE.{event.name}"})
            for record in mine:
                visit_sign = _latest(ecrf.signatures, subject_id=sid, scope="visit", visit=record.visit) \
                    if record.form == "tumour_assessment" and record.visit else None
                _form_data(element, ecrf.design, record, visit_sign, meanings)


def _clinical(root: ET.Element, study: ExportStudy, ecrf: EcrfExport, meanings) -> None:
    clinical = _sub(root, "ClinicalData", {"StudyOID": f"ST.{study.studyid}", "MetaDataVersionOID": _mdv_oid(study)})
    for sid in sorted({r.subject_id for r in ecrf.records}):
        _subject(clinical, study, ecrf, sid, meanings)
    trail = _sub(clinical, "AuditRecords")
    entries = [(r, a) for r in ecrf.records for a in r.audit]
    for n, (record, entry) in enumerate(entries, start=1):
        _audit(trail, record, entry, record.site, f"AR.{n}")
    if ecrf.signatures:
        signed = _sub(clinical, "Signatures")
        for n, signature in enumerate(ecrf.signatures, start=1):
            site = study.facts_by_id[signature.subject_id].site if signature.subject_id in study.facts_by_id else ""
            _signature(signed, signature, site, meanings, f"SG.{n}")


def build_odm(study: ExportStudy) -> ET.Element:
    """The ODM 1.3.2 snapshot of the study's eCRF: metadata, admin data and clinical data."""
    ecrf = ecrf_of(study)
    root = ET.Element(_q("ODM"), {"ODMVersion": "1.3.2", "FileType": "Snapshot", "Granularity": "All",
                                  "FileOID": f"ODM.{study.studyid}.{study.created:%Y%m%dT%H%M%S}",
                                  "CreationDateTime": _stamp(study.created), "AsOfDateTime": _stamp(study.created),
                                  "Originator": study.source_system, "SourceSystem": study.source_system,
                                  "SourceSystemVersion": study.source_version or "unknown"})
    study_element = _sub(root, "Study", {"OID": f"ST.{study.studyid}"})
    variables = _sub(study_element, "GlobalVariables")
    _sub(variables, "StudyName", text=study.studyid)
    _sub(variables, "StudyDescription", text=study.protocol.title)
    _sub(variables, "ProtocolName", text=f"{study.protocol.id} version {study.protocol.version}")
    build_metadata(study_element, study, ecrf.design)
    meanings = _admin(root, study, ecrf)
    _clinical(root, study, ecrf, meanings)
    return root


def render_odm(study: ExportStudy) -> bytes:
    """odm.xml as UTF-8 bytes."""
    ET.register_namespace("", NS)
    tree = ET.ElementTree(build_odm(study))
    ET.indent(tree)
    return ET.tostring(tree.getroot(), encoding="utf-8", xml_declaration=True)
