"""Reading ODM 1.3.2 study metadata back into an `EcrfDesign` (spec standards.md §4.2): events
from StudyEventDef (in Protocol order), forms from FormDef, fields from ItemDef (kind from our
`oncotrial:kind` alias, else from the DataType and CodeListRef), choices from CodeList
(CodeListItem or EnumeratedItem), ranges from RangeCheck. Names come from the OIDs (SE.name,
F.name, IG.form.group, IT.form[.group].field, the part after the first dot for another
system's); what a foreign file adds and we do not model is ignored."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from oncotrial.errors import InvalidInput

from .ecrf import EcrfDesign, EcrfEvent, EcrfField, EcrfForm, EcrfGroup
from .odm import KIND_ALIAS, KIND_OF_TYPE, NS, TEXT_KINDS

Q = {"o": NS}
CODED = (f"{{{NS}}}CodeListItem", f"{{{NS}}}EnumeratedItem")


def _text(element: ET.Element | None, path: str) -> str:
    found = element.find(path, Q) if element is not None else None
    return (found.text or "") if found is not None else ""


def _suffix(oid: str) -> str:
    return oid.split(".", 1)[1] if "." in oid else oid


def _kind(item: ET.Element) -> str:
    alias = item.find(f"o:Alias[@Context='{KIND_ALIAS}']", Q)
    if alias is not None:
        return alias.get("Name", "text")
    if item.find("o:CodeListRef", Q) is not None:
        return "choice"
    return KIND_OF_TYPE.get(item.get("DataType", "text"), "text")


def _bound(item: ET.Element, comparator: str) -> float | None:
    check = item.find(f"o:RangeCheck[@Comparator='{comparator}']", Q)
    return None if check is None else float(_text(check, "o:CheckValue"))


def _field(item: ET.Element, codelists: dict[str, ET.Element]) -> EcrfField:
    kind = _kind(item)
    ref = item.find("o:CodeListRef", Q)
    listed = codelists.get(ref.get("CodeListOID")) if ref is not None else None
    choices = tuple(c.get("CodedValue", "") for c in listed if c.tag in CODED) if listed is not None else ()
    return EcrfField(item.get("Name", ""), kind, _text(item, "o:Question/o:TranslatedText"), choices,
                     _text(item, "o:Description/o:TranslatedText"),
                     int(item.get("Length", "200")) if kind in TEXT_KINDS else 200,
                     _bound(item, "GE"), _bound(item, "LE"))


def _group_fields(group: ET.Element, items: dict, codelists: dict) -> tuple[EcrfField, ...]:
    refs = sorted(group.findall("o:ItemRef", Q), key=lambda r: int(r.get("OrderNumber", "0")))
    return tuple(_field(items[r.get("ItemOID")], codelists) for r in refs)


def _form(form: ET.Element, groups: dict, items: dict, codelists: dict) -> EcrfForm:
    refs = [groups[r.get("ItemGroupOID")] for r in form.findall("o:ItemGroupRef", Q)]
    main, rest = refs[0], refs[1:]
    return EcrfForm(_suffix(form.get("OID", "")), form.get("Name", ""), _group_fields(main, items, codelists),
                    form.get("Repeating") == "Yes",
                    tuple(EcrfGroup(g.get("OID", "").rsplit(".", 1)[-1], g.get("Name", ""),
                                    _group_fields(g, items, codelists)) for g in rest))


def _events(mdv: ET.Element) -> tuple[EcrfEvent, ...]:
    defs = {e.get("OID"): e for e in mdv.findall("o:StudyEventDef", Q)}
    order = [r.get("StudyEventOID") for r in sorted(mdv.findall("o:Protocol/o:StudyEventRef", Q),
                                                     key=lambda r: int(r.get("OrderNumber", "0")))] or list(defs)
    return tuple(EcrfEvent(_suffix(oid), defs[oid].get("Name", ""),
                           tuple(_suffix(r.get("FormOID", "")) for r in sorted(
                               defs[oid].findall("o:FormRef", Q), key=lambda r: int(r.get("OrderNumber", "0")))))
                 for oid in order)


def read_odm_metadata(data: bytes) -> EcrfDesign:
    """The eCRF design in an ODM 1.3.2 file's first MetaDataVersion; InvalidInput when the file is
    not ODM or has no metadata."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as problem:
        raise InvalidInput(f"the ODM file is not well-formed XML: {problem}", field="file") from None
    mdv = root.find("o:Study/o:MetaDataVersion", Q)
    if mdv is None:
        raise InvalidInput("the ODM file has no Study/MetaDataVersion (ODM 1.3 namespace)", field="file",
                           hint=f"the root must be <ODM xmlns=\"{NS}\"> with study metadata")
    items = {i.get("OID"): i for i in mdv.findall("o:ItemDef", Q)}
    groups = {g.get("OID"): g for g in mdv.findall("o:ItemGroupDef", Q)}
    codelists = {c.get("OID"): c for c in mdv.findall("o:CodeList", Q)}
    forms = tuple(_form(f, groups, items, codelists) for f in mdv.findall("o:FormDef", Q))
    return EcrfDesign(forms, _events(mdv))
