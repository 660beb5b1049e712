"""ODM 1.3.2 on the export cohort with its eCRF: the file validates against CDISC's ODM1-3-2.xsd
(the copy in tests/exports/schemas), the metadata read back by `read_odm_metadata` equals the
eCRF design built from the real form specs, and the clinical data carry every record's values,
its audit trail (latest inline, all in ClinicalData/AuditRecords) and the e-signatures."""

from __future__ import annotations

import dataclasses
import io
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ecrf_cohort import ecrf_study  # noqa: E402

from oncotrial.errors import InvalidInput  # noqa: E402
from oncotrial.exports.odm import NS  # noqa: E402
from oncotrial.exports.odm_import import read_odm_metadata  # noqa: E402
from oncotrial.exports.package import export_files  # noqa: E402

SCHEMA = Path(__file__).parent / "schemas" / "cdisc-odm-1.3.2" / "ODM1-3-2.xsd"
Q = {"o": NS}


@pytest.fixture(scope="module")
def study():
    return ecrf_study()


@pytest.fixture(scope="module")
def odm(study):
    return export_files(study, "odm")["odm.xml"]


def validate_odm(data: bytes) -> None:
    import xmlschema

    xmlschema.XMLSchema(str(SCHEMA)).validate(io.BytesIO(data))


def test_the_odm_file_validates_against_the_odm_1_3_2_xsd(odm):
    validate_odm(odm)
    root = ET.fromstring(odm)
    assert root.get("ODMVersion") == "1.3.2" and root.get("FileType") == "Snapshot"


def test_metadata_round_trips_through_the_odm_import(study, odm):
    design = study.extras["ecrf"].design
    assert read_odm_metadata(odm) == design
    assert any(f.groups for f in design.forms) and any(f.minimum is not None for form in design.forms
                                                        for f in form.fields)


def test_clinical_data_carry_values_lesion_rows_audit_records_and_signatures(odm):
    root = ET.fromstring(odm)
    ae = root.find(".//o:FormData[@FormOID='F.adverse_event']", Q)
    assert ae.get("FormRepeatKey") == "21"
    assert ae.find("o:AuditRecord/o:ReasonForChange", Q).text == "grade per source"
    values = {i.get("ItemOID"): i.get("Value") for i in ae.iter(f"{{{NS}}}ItemData")}
    assert values["IT.adverse_event.grade"] == "3" and values["IT.adverse_event.serious"] == "true"
    lesion = root.find(".//o:ItemGroupData[@ItemGroupOID='IG.tumour_assessment.lesion']", Q)
    assert lesion.get("ItemGroupRepeatKey") == "1"
    assert lesion.find("o:ItemData[@ItemOID='IT.tumour_assessment.lesion.size_mm']", Q).get("Value") == "24.5"
    visit = root.find(".//o:FormData[@FormOID='F.tumour_assessment']/o:Signature/o:SignatureRef", Q)
    casebook = root.find(".//o:SubjectData[@SubjectKey='01-001']/o:Signature/o:SignatureRef", Q)
    meanings = {d.get("OID"): d.find("o:Meaning", Q).text for d in root.iter(f"{{{NS}}}SignatureDef")}
    assert "visit" in meanings[visit.get("SignatureOID")] and "casebook" in meanings[casebook.get("SignatureOID")]
    assert len(root.findall("o:ClinicalData/o:AuditRecords/o:AuditRecord", Q)) == 5
    assert len(root.findall("o:ClinicalData/o:Signatures/o:Signature", Q)) == 2
    users = {u.get("OID"): u.find("o:LoginName", Q).text for u in root.iter(f"{{{NS}}}User")}
    assert users == {"USR.coordinator": "coordinator", "USR.investigator": "investigator"}


def test_chinese_text_is_kept_in_utf_8_and_still_validates(study):
    ecrf = study.extras["ecrf"]
    record = dataclasses.replace(ecrf.records[2], values=(("name", "洛哌丁胺"), ("start_date", "2025-01-20")))
    changed = dataclasses.replace(study, extras={"ecrf": dataclasses.replace(ecrf, records=(record,))})
    data = export_files(changed, "odm")["odm.xml"]
    validate_odm(data)
    assert "洛哌丁胺" in data.decode()


def test_a_study_without_records_is_valid_metadata_only_and_a_missing_design_is_a_clear_message(study):
    ecrf = study.extras["ecrf"]
    empty = dataclasses.replace(study, extras={"ecrf": dataclasses.replace(ecrf, records=(), signatures=())})
    validate_odm(export_files(empty, "odm")["odm.xml"])
    with pytest.raises(InvalidInput, match="eCRF design was not handed"):
        export_files(dataclasses.replace(study, extras={}), "odm")


def test_a_file_that_is_not_odm_is_refused_by_the_import():
    with pytest.raises(InvalidInput, match="not well-formed"):
        read_odm_metadata(b"<ODM")
    with pytest.raises(InvalidInput, match="no Study/MetaDataVersion"):
        read_odm_metadata(b"<ODM/>")


def test_a_signature_the_data_no_longer_match_is_kept_in_the_trail_but_not_inline(study):
    ecrf = study.extras["ecrf"]
    stale = tuple(dataclasses.replace(s, valid=False) if s.scope == "casebook" else s for s in ecrf.signatures)
    root = ET.fromstring(export_files(dataclasses.replace(study, extras={"ecrf": dataclasses.replace(
        ecrf, signatures=stale)}), "odm")["odm.xml"])
    assert root.find(".//o:SubjectData[@SubjectKey='01-001']/o:Signature", Q) is None
    assert len(root.findall("o:ClinicalData/o:Signatures/o:Signature", Q)) == 2


FOREIGN = b"""<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2" FileType="Snapshot" FileOID="X.1"
     CreationDateTime="2025-06-01T10:00:00+00:00">
  <Study OID="ST.X">
    <GlobalVariables><StudyName>X</StudyName><StudyDescription>x</StudyDescription>
      <ProtocolName>X</ProtocolName></GlobalVariables>
    <MetaDataVersion OID="MDV.1" Name="v1">
      <Protocol><StudyEventRef StudyEventOID="SE.SCREEN" OrderNumber="1" Mandatory="Yes"/></Protocol>
      <StudyEventDef OID="SE.SCREEN" Name="Screening" Repeating="No" Type="Scheduled">
        <FormRef FormOID="F.TARGET" Mandatory="Yes"/></StudyEventDef>
      <FormDef OID="F.TARGET" Name="Target lesions" Repeating="No">
        <ItemGroupRef ItemGroupOID="IG.TL" Mandatory="Yes"/></FormDef>
      <ItemGroupDef OID="IG.TL" Name="Target lesion" Repeating="Yes">
        <ItemRef ItemOID="IT.TULOC" Mandatory="Yes" OrderNumber="1"/>
        <ItemRef ItemOID="IT.LDIAM" Mandatory="No" OrderNumber="2"/></ItemGroupDef>
      <ItemDef OID="IT.TULOC" Name="TULOC" DataType="text" Length="40">
        <Question><TranslatedText xml:lang="en">Location</TranslatedText></Question>
        <CodeListRef CodeListOID="CL.LOC"/></ItemDef>
      <ItemDef OID="IT.LDIAM" Name="LDIAM" DataType="float" Length="5" SignificantDigits="1">
        <Question><TranslatedText xml:lang="en">Longest diameter (mm)</TranslatedText></Question>
        <RangeCheck Comparator="GE" SoftHard="Soft"><CheckValue>0</CheckValue></RangeCheck></ItemDef>
      <CodeList OID="CL.LOC" Name="Location" DataType="text">
        <EnumeratedItem CodedValue="LIVER"/><EnumeratedItem CodedValue="LUNG"/></CodeList>
    </MetaDataVersion>
  </Study>
</ODM>"""


def test_the_import_reads_another_systems_metadata_by_its_data_types():
    validate_odm(FOREIGN)
    design = read_odm_metadata(FOREIGN)
    assert [(e.name, e.label, e.forms) for e in design.events] == [("SCREEN", "Screening", ("TARGET",))]
    location, diameter = design.form("TARGET").fields
    assert (location.name, location.kind, location.max_length, location.choices) == ("TULOC", "choice", 40,
                                                                                      ("LIVER", "LUNG"))
    assert (diameter.kind, diameter.minimum, diameter.label) == ("decimal", 0.0, "Longest diameter (mm)")
