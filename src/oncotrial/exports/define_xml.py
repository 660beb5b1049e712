"""define.xml 2.1 (spec standards.md §3.5): the metadata document beside the datasets, an ODM 1.3.2
document with the `def:` extension, built from the same `Dataset` values the files are written
from, so it cannot drift: one ItemGroupDef per dataset (with its def:leaf), one ItemDef per
variable (type, length, label, origin, code list), one CodeList per code list (NCI codes as
aliases) and one MethodDef per derivation. Validates against CDISC's define2-1-0.xsd.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from .bundle import ExportStudy
from .model import CodeList, Dataset, Variable

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TYPES = {"text": "text", "integer": "integer", "float": "float", "date": "date"}
STANDARDS = {"Analysis": ("STD.ADAMIG", "ADaMIG", "1.3", "ADaM"),
             "Tabulation": ("STD.SDTMIG", "SDTMIG", "3.4", "SDTM")}
CT_VERSION = "2025-03-28"
ET.register_namespace("", ODM_NS)
ET.register_namespace("def", DEF_NS)
ET.register_namespace("xlink", XLINK_NS)


def _odm(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _def(tag: str) -> str:
    return f"{{{DEF_NS}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _description(parent: ET.Element, text: str, tag: str = "Description") -> None:
    ET.SubElement(ET.SubElement(parent, _odm(tag)), _odm("TranslatedText"), {XML_LANG: "en"}).text = text


def _standards(mdv: ET.Element, datasets: Sequence[Dataset]) -> None:
    standards = ET.SubElement(mdv, _def("Standards"))
    for purpose in dict.fromkeys(d.purpose for d in datasets):
        oid, name, version, publishing = STANDARDS[purpose]
        ET.SubElement(standards, _def("Standard"), {"OID": oid, "Name": name, "Type": "IG", "Version": version,
                                                    "Status": "Final"})
        ET.SubElement(standards, _def("Standard"), {"OID": f"STD.CT.{publishing}", "Name": "CDISC/NCI", "Type": "CT",
                                                    "PublishingSet": publishing, "Version": CT_VERSION,
                                                    "Status": "Final"})


def method_oid(dataset: Dataset, variable: Variable) -> str:
    return f"MT.{dataset.name}.{variable.name}"


def _item_group(mdv: ET.Element, dataset: Dataset) -> None:
    group = ET.SubElement(mdv, _odm("ItemGroupDef"), {
        "OID": f"IG.{dataset.name}", "Name": dataset.name, "SASDatasetName": dataset.name, "Repeating":
        "No" if dataset.structure.startswith("One record per subject") and dataset.purpose == "Analysis"
        and dataset.klass.startswith("SUBJECT") else "Yes", "IsReferenceData": "Yes" if dataset.klass ==
        "TRIAL DESIGN" else "No", "Purpose": dataset.purpose, _def("Structure"): dataset.structure,
        _def("StandardOID"): STANDARDS[dataset.purpose][0], _def("ArchiveLocationID"): f"LF.{dataset.name}"})
    if len(dataset.name) == 2:
        group.set("Domain", dataset.name)
    _description(group, dataset.label)
    for order, variable in enumerate(dataset.variables, start=1):
        attributes = {"ItemOID": f"IT.{dataset.name}.{variable.name}", "OrderNumber": str(order),
                      "Mandatory": "Yes" if variable.name in dataset.keys else "No"}
        if variable.name in dataset.keys:
            attributes["KeySequence"] = str(dataset.keys.index(variable.name) + 1)
        if variable.method:
            attributes["MethodOID"] = method_oid(dataset, variable)
        ET.SubElement(group, _odm("ItemRef"), attributes)
    ET.SubElement(group, _def("Class"), {"Name": dataset.klass})
    leaf = ET.SubElement(group, _def("leaf"), {"ID": f"LF.{dataset.name}",
                                                f"{{{XLINK_NS}}}href": f"{dataset.name.lower()}.xpt"})
    _text(leaf, _def("title"), f"{dataset.name.lower()}.xpt")


def _origin(item: ET.Element, variable: Variable) -> None:
    attributes = {"Type": variable.origin}
    if variable.origin in ("Collected",):
        attributes["Source"] = "Investigator"
    if variable.origin in ("Derived", "Assigned"):
        attributes["Source"] = "Sponsor"
    origin = ET.SubElement(item, _def("Origin"), attributes)
    if variable.origin == "Predecessor":
        _description(origin, variable.source or "carried from the predecessor dataset")


def _item(mdv: ET.Element, dataset: Dataset, variable: Variable, codelists: set[str]) -> None:
    attributes = {"OID": f"IT.{dataset.name}.{variable.name}", "Name": variable.name,
                  "SASFieldName": variable.name, "DataType": TYPES[variable.type]}
    if variable.type in ("text", "integer", "float"):
        attributes["Length"] = str(dataset.length(variable))
    if variable.type == "float":
        attributes["SignificantDigits"] = "4"
    if variable.type == "date":
        attributes[_def("DisplayFormat")] = "DATE9."
    item = ET.SubElement(mdv, _odm("ItemDef"), attributes)
    _description(item, variable.label)
    if variable.codelist and variable.codelist in codelists:
        ET.SubElement(item, _odm("CodeListRef"), {"CodeListOID": f"CL.{variable.codelist}"})
    _origin(item, variable)


def _codelist(mdv: ET.Element, codelist: CodeList) -> None:
    element = ET.SubElement(mdv, _odm("CodeList"), {"OID": f"CL.{codelist.id}", "Name": codelist.name,
                                                     "DataType": codelist.data_type})
    for code, decode in codelist.items:
        item = ET.SubElement(element, _odm("CodeListItem"), {"CodedValue": code})
        _description(item, decode, "Decode")
    if codelist.nci:
        ET.SubElement(element, _odm("Alias"), {"Context": "nci:ExtCodeID", "Name": codelist.nci})


def _method(mdv: ET.Element, dataset: Dataset, variable: Variable) -> None:
    element = ET.SubElement(mdv, _odm("MethodDef"), {"OID": method_oid(dataset, variable),
                                                      "Name": f"Algorithm for {dataset.name}.{variable.name}",
                                                      "Type": "Computation"})
    _description(element, variable.method)


def _codelists(datasets: Sequence[Dataset]) -> dict[str, CodeList]:
    found: dict[str, CodeList] = {}
    for dataset in datasets:
        for codelist in dataset.codelists:
            found.setdefault(codelist.id, codelist)
    return found


def build_define(study: ExportStudy, datasets: Sequence[Dataset]) -> ET.Element:
    """The define.xml 2.1 tree describing `datasets` of `study`."""
    created = study.created.astimezone(dt.UTC).replace(microsecond=0).isoformat()
    root = ET.Element(_odm("ODM"), {"ODMVersion": "1.3.2", "FileType": "Snapshot",
                                    "FileOID": f"DEF.{study.studyid}.{study.created:%Y%m%dT%H%M%S}",
                                    "CreationDateTime": created, "Originator": study.source_system,
                                    "SourceSystem": study.source_system,
                                    "SourceSystemVersion": study.source_version or "unknown",
                                    _def("Context"): "Submission"})
    study_element = ET.SubElement(root, _odm("Study"), {"OID": f"ST.{study.studyid}"})
    variables = ET.SubElement(study_element, _odm("GlobalVariables"))
    _text(variables, _odm("StudyName"), study.studyid)
    _text(variables, _odm("StudyDescription"), study.protocol.title)
    _text(variables, _odm("ProtocolName"), f"{study.protocol.id} version {study.protocol.version}")
    mdv = ET.SubElement(study_element, _odm("MetaDataVersion"), {
        "OID": "MDV.1", "Name": f"{study.studyid} data definitions",
        "Description": f"Data cut-off {study.results.header.data_cutoff}; {study.results.header.data_status}",
        _def("DefineVersion"): "2.1.0"})
    _standards(mdv, datasets)
    codelists = _codelists(datasets)
    for dataset in datasets:
        _item_group(mdv, dataset)
    for dataset in datasets:
        for variable in dataset.variables:
            _item(mdv, dataset, variable, set(codelists))
    for codelist in codelists.values():
        _codelist(mdv, codelist)
    for dataset in datasets:
        for variable in dataset.variables:
            if variable.method:
                _method(mdv, dataset, variable)
    return root


def render_define(study: ExportStudy, datasets: Sequence[Dataset]) -> bytes:
    """define.xml 2.1 as UTF-8 bytes."""
    tree = ET.ElementTree(build_define(study, datasets))
    ET.indent(tree)
    return ET.tostring(tree.getroot(), encoding="utf-8", xml_declaration=True)
