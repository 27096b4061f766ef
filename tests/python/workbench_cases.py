"""Hand-written Workbench-fidelity cases: one per point of docs/cohort-semantics.md's fidelity
table, each on a tiny OMOP dataset built so that the Workbench's reading and the other reading
(the one cohortlens used to follow, or the Workbench's literal bug) give different counts.

`write_tables(dir)` writes the dataset as CSV, one file per table, for `cohortlens import`
(`--reference-date 2023-10-01`, later than every event, so "the dataset's reference date" and
the Workbench's CDR date — its latest event, 2020-06-30 — differ). `CASES` are
`(name, definition, workbench_count, other_count, why)`: the expected count is worked out by
hand from the rows below, never by the code under test.

Persons 1–30 are born 1980-01-01 except 23 (1950-01-01, deceased), 24 (2000-06-01) and
30 (1978-01-01); odd ids are female (8532), even ids male (8507).
"""

import csv
import os

# -- concepts -------------------------------------------------------------------------------
DIABETES, T2DM, OTHER_CONDITION, TEMPORAL_A, TEMPORAL_A2 = 100, 101, 999, 110, 111
E11, E11_9, E11_65 = 200, 201, 202
INGREDIENT, PRODUCT, ATC_CLASS = 300, 301, 302
LAB, POSITIVE, LAB_PANEL, LOINC_WEIGHT = 400, 401, 402, 3025315
TEMPORAL_B = 600
CPT4_DIGESTIVE, COLONOSCOPY = 700, 701
SYSTOLIC, DIASTOLIC, PM_WEIGHT = 903118, 903115, 903121
THE_BASICS, BASICS_QUESTION, YES, NO, NUMERIC_QUESTION, CONSENT = (
    1586134, 500, 501, 502, 503, 1585482)
OUTPATIENT, FEMALE, MALE, BLACK, WHITE = 9202, 8532, 8507, 8516, 8527
EHR, PHYSICAL_EXAM, SURVEY_TYPE = 32817, 44818701, 45905771

CONCEPTS = [
    # id, name, domain, vocabulary, class, standard, code
    (0, "No matching concept", "Metadata", "None", "Undefined", "", "No matching concept"),
    (DIABETES, "Diabetes mellitus", "Condition", "SNOMED", "Clinical Finding", "S", "73211009"),
    (T2DM, "Type 2 diabetes mellitus", "Condition", "SNOMED", "Clinical Finding", "S", "44054006"),
    (OTHER_CONDITION, "Other condition", "Condition", "SNOMED", "Clinical Finding", "S", "999"),
    (TEMPORAL_A, "Temporal A", "Condition", "SNOMED", "Clinical Finding", "S", "110"),
    (TEMPORAL_A2, "Temporal A2", "Condition", "SNOMED", "Clinical Finding", "S", "111"),
    (E11, "Type 2 diabetes mellitus", "Condition", "ICD10CM", "3-char nonbill code", "", "E11"),
    (E11_9, "Type 2 diabetes mellitus without complications", "Condition", "ICD10CM",
     "5-char billing code", "", "E11.9"),
    (E11_65, "Type 2 diabetes mellitus with hyperglycemia", "Condition", "ICD10CM",
     "6-char billing code", "", "E11.65"),
    (INGREDIENT, "metformin", "Drug", "RxNorm", "Ingredient", "S", "6809"),
    (PRODUCT, "metformin 500 MG Oral Tablet", "Drug", "RxNorm", "Clinical Drug", "S", "861007"),
    (ATC_CLASS, "metformin", "Drug", "ATC", "ATC 5th", "C", "A10BA02"),
    (LAB, "Lab test", "Measurement", "LOINC", "Lab Test", "S", "400-1"),
    (LAB_PANEL, "Lab panel", "Measurement", "LOINC", "Lab Test", "S", "402-1"),
    (POSITIVE, "Positive", "Meas Value", "SNOMED", "Qualifier Value", "S", "10828004"),
    (LOINC_WEIGHT, "Body weight", "Measurement", "LOINC", "Clinical Observation", "S", "29463-7"),
    (TEMPORAL_B, "Temporal B", "Procedure", "SNOMED", "Procedure", "S", "600"),
    # A CPT4 class over a code: the class code (1006933) does not prefix the code (45378).
    (CPT4_DIGESTIVE, "Surgical Procedures on the Digestive System", "Procedure", "CPT4",
     "CPT4 Hierarchy", "C", "1006933"),
    (COLONOSCOPY, "Colonoscopy", "Procedure", "CPT4", "CPT4", "S", "45378"),
    (SYSTOLIC, "Systolic", "Measurement", "PPI", "Clinical Observation", "", "systolic"),
    (DIASTOLIC, "Diastolic", "Measurement", "PPI", "Clinical Observation", "", "diastolic"),
    (PM_WEIGHT, "Weight", "Measurement", "PPI", "Clinical Observation", "", "weight"),
    (THE_BASICS, "The Basics", "Observation", "PPI", "Module", "", "TheBasics"),
    (BASICS_QUESTION, "A question", "Observation", "PPI", "Question", "", "q500"),
    (NUMERIC_QUESTION, "A numeric question", "Observation", "PPI", "Question", "", "q503"),
    (YES, "Yes", "Observation", "PPI", "Answer", "", "yes"),
    (NO, "No", "Observation", "PPI", "Answer", "", "no"),
    (CONSENT, "Consent PII", "Observation", "PPI", "Question", "", "ConsentPII"),
    (OUTPATIENT, "Outpatient Visit", "Visit", "Visit", "Visit", "S", "OP"),
    (FEMALE, "FEMALE", "Gender", "Gender", "Gender", "S", "F"),
    (MALE, "MALE", "Gender", "Gender", "Gender", "S", "M"),
    (BLACK, "Black or African American", "Race", "Race", "Race", "S", "3"),
    (WHITE, "White", "Race", "Race", "Race", "S", "5"),
    (EHR, "EHR", "Type Concept", "Type Concept", "Type Concept", "S", "OMOP4976890"),
    (PHYSICAL_EXAM, "From physical examination", "Type Concept", "Type Concept",
     "Type Concept", "S", "OMOP4822241"),
    (SURVEY_TYPE, "Survey", "Type Concept", "Type Concept", "Type Concept", "S", "OMOP4822240"),
]
_STANDARD = [c[0] for c in CONCEPTS if c[5] in ("S", "C")]
ANCESTORS = [(c, c) for c in _STANDARD] + [
    (DIABETES, T2DM), (INGREDIENT, PRODUCT), (ATC_CLASS, INGREDIENT), (ATC_CLASS, PRODUCT),
    (LAB_PANEL, LAB), (THE_BASICS, BASICS_QUESTION), (THE_BASICS, NUMERIC_QUESTION),
    (CPT4_DIGESTIVE, COLONOSCOPY),
]


def _born(pid):
    return {23: "1950-01-01", 24: "2000-06-01", 30: "1978-01-01"}.get(pid, "1980-01-01")


PERSONS = [(pid, FEMALE if pid % 2 else MALE, _born(pid)) for pid in range(1, 31)]

# (person, concept, source concept, date, visit)
CONDITIONS = [
    (12, T2DM, E11_9, "2020-02-02", None),
    (13, T2DM, E11_65, "2020-02-03", None),
    (13, OTHER_CONDITION, 0, "2020-02-04", None),
    (13, OTHER_CONDITION, 0, "2020-02-05", None),
    (14, T2DM, 0, "2020-02-01", None),
    (14, T2DM, 0, "2020-02-08", None),
    (15, DIABETES, 0, "2020-02-10", None),
    (16, TEMPORAL_A, 0, "2020-03-10", None),
    (17, TEMPORAL_A, 0, "2020-03-01", None),
    (17, TEMPORAL_A2, 0, "2020-04-01", None),
    (18, TEMPORAL_A, 0, "2020-05-05", None),
    (19, TEMPORAL_A, 0, "2020-06-01", None),
    (20, TEMPORAL_A, 0, "2020-06-10", 2000),
    (29, TEMPORAL_A, 0, "2020-03-10", None),
    (30, OTHER_CONDITION, 0, "2020-06-30", None),  # the latest event: the Workbench's CDR date
]
PROCEDURES = [
    (16, TEMPORAL_B, 0, "2020-01-01", None),
    (16, TEMPORAL_B, 0, "2020-03-11", None),
    (17, TEMPORAL_B, 0, "2020-04-01", None),
    (18, TEMPORAL_B, 0, "2020-05-05", None),
    (19, TEMPORAL_B, 0, "2020-06-01", None),
    (20, TEMPORAL_B, 0, "2020-06-11", 2000),
    (29, TEMPORAL_B, 0, "2020-03-12", None),
    (16, COLONOSCOPY, COLONOSCOPY, "2020-01-15", None),
    (18, COLONOSCOPY, COLONOSCOPY, "2020-01-16", None),
]
DRUGS = [
    (1, PRODUCT, 0, "2020-01-10", None),
    (1, PRODUCT, 0, "2020-01-10", None),  # the same product twice on one day
    (2, PRODUCT, 0, "2020-01-10", None),
    (2, PRODUCT, 0, "2020-02-10", None),
    (3, PRODUCT, 0, "2020-03-01", None),
]
# (person, concept, source, datetime, type, value, value concept)
MEASUREMENTS = [
    (4, LAB, 0, "2020-04-01 10:00:00", EHR, 9, None),
    (5, LAB, 0, "2020-04-01 10:00:00", EHR, None, POSITIVE),
    (6, LAB, 0, "2020-04-01 10:00:00", EHR, 9, POSITIVE),
    (27, LAB, 0, "2020-04-01 10:00:00", EHR, 5, None),
    (7, SYSTOLIC, SYSTOLIC, "2020-05-01 08:00:00", PHYSICAL_EXAM, 150, None),
    (7, DIASTOLIC, DIASTOLIC, "2020-05-01 08:00:00", PHYSICAL_EXAM, 95, None),
    (8, SYSTOLIC, SYSTOLIC, "2020-05-01 08:00:00", PHYSICAL_EXAM, 150, None),
    (8, DIASTOLIC, DIASTOLIC, "2020-05-01 09:00:00", PHYSICAL_EXAM, 95, None),
    (9, LOINC_WEIGHT, PM_WEIGHT, "2020-05-02 08:00:00", EHR, 70, None),
    (10, PM_WEIGHT, 0, "2020-05-02 08:00:00", PHYSICAL_EXAM, 70, None),
    (28, PM_WEIGHT, 0, "2020-05-02 08:00:00", PHYSICAL_EXAM, 70, None),
]
# (person, concept, source, date, type, value number, value source concept)
OBSERVATIONS = [
    (11, 0, E11_9, "2020-02-01", EHR, None, None),  # an ICD10 code kept in observation
    (21, 0, NUMERIC_QUESTION, "2020-01-20", SURVEY_TYPE, 5, None),
    (22, 0, NUMERIC_QUESTION, "2020-01-20", SURVEY_TYPE, None, 903096),
    (24, 0, CONSENT, "2018-01-01", 0, None, None),
    (24, 0, BASICS_QUESTION, "2019-01-01", SURVEY_TYPE, None, YES),
]
VISITS = [(2000, 20, OUTPATIENT, "2020-06-10", "2020-06-12")]
DEATHS = [(23, "2020-06-01")]
ACTIVITY = [(25, "2020-01-01", 5000)]
HEART_RATE = [(26, "2020-01-01", "Cardio")]


def write_tables(out_dir):
    """Writes the dataset as one CSV per table into `out_dir`."""
    os.makedirs(out_dir, exist_ok=True)

    def write(name, header, rows):
        with open(os.path.join(out_dir, f"{name}.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            for r in rows:
                w.writerow(["" if v is None else v for v in r])

    write("concept", ["concept_id", "concept_name", "domain_id", "vocabulary_id",
                      "concept_class_id", "standard_concept", "concept_code", "valid_start_date",
                      "valid_end_date", "invalid_reason"],
          [c + ("1970-01-01", "2099-12-31", None) for c in CONCEPTS])
    write("concept_ancestor", ["ancestor_concept_id", "descendant_concept_id",
                               "min_levels_of_separation", "max_levels_of_separation"],
          [(a, d, 0 if a == d else 1, 0 if a == d else 1) for a, d in ANCESTORS])
    write("person", ["person_id", "gender_concept_id", "year_of_birth", "month_of_birth",
                     "day_of_birth", "birth_datetime", "race_concept_id", "ethnicity_concept_id",
                     "sex_at_birth_concept_id"],
          [(pid, g, b[:4], int(b[5:7]), int(b[8:]), f"{b} 00:00:00",
            BLACK if pid % 3 == 0 else WHITE, 0, 0) for pid, g, b in PERSONS])
    write("visit_occurrence", ["visit_occurrence_id", "person_id", "visit_concept_id",
                               "visit_start_date", "visit_end_date", "visit_type_concept_id"],
          [(v, p, c, s, e, EHR) for v, p, c, s, e in VISITS])
    rows = []
    for i, (p, c, src, d, v) in enumerate(CONDITIONS):
        rows.append((i + 1, p, c, d, f"{d} 00:00:00", EHR, v, src))
    write("condition_occurrence", ["condition_occurrence_id", "person_id", "condition_concept_id",
                                   "condition_start_date", "condition_start_datetime",
                                   "condition_type_concept_id", "visit_occurrence_id",
                                   "condition_source_concept_id"], rows)
    rows = [(i + 1, p, c, d, f"{d} 00:00:00", EHR, v, src)
            for i, (p, c, src, d, v) in enumerate(PROCEDURES)]
    write("procedure_occurrence", ["procedure_occurrence_id", "person_id", "procedure_concept_id",
                                   "procedure_date", "procedure_datetime",
                                   "procedure_type_concept_id", "visit_occurrence_id",
                                   "procedure_source_concept_id"], rows)
    rows = [(i + 1, p, c, d, f"{d} 00:00:00", EHR, v, src)
            for i, (p, c, src, d, v) in enumerate(DRUGS)]
    write("drug_exposure", ["drug_exposure_id", "person_id", "drug_concept_id",
                            "drug_exposure_start_date", "drug_exposure_start_datetime",
                            "drug_type_concept_id", "visit_occurrence_id",
                            "drug_source_concept_id"], rows)
    rows = [(i + 1, p, c, dt[:10], dt, t, n, vc, src)
            for i, (p, c, src, dt, t, n, vc) in enumerate(MEASUREMENTS)]
    write("measurement", ["measurement_id", "person_id", "measurement_concept_id",
                          "measurement_date", "measurement_datetime",
                          "measurement_type_concept_id", "value_as_number", "value_as_concept_id",
                          "measurement_source_concept_id"], rows)
    rows = [(i + 1, p, c, d, f"{d} 00:00:00", t, n, src, vs)
            for i, (p, c, src, d, t, n, vs) in enumerate(OBSERVATIONS)]
    write("observation", ["observation_id", "person_id", "observation_concept_id",
                          "observation_date", "observation_datetime",
                          "observation_type_concept_id", "value_as_number",
                          "observation_source_concept_id", "value_source_concept_id"], rows)
    write("death", ["person_id", "death_date"], DEATHS)
    write("activity_summary", ["person_id", "date", "steps"], ACTIVITY)
    write("heart_rate_summary", ["person_id", "date", "zone_name"], HEART_RATE)


REFERENCE_DATE = "2023-10-01"


# -- request builders (the shape ui/src/app/pages/data/cohort/utils.ts sends) ---------------


def param(domain, concept_id=None, kind=None, standard=None, group=False, ancestor=False,
          attributes=(), subtype=None):
    """A SearchParameter as mapParameter writes it; `standard=None` leaves the key out."""
    p = {"parameterId": f"param{concept_id}", "name": "x", "domain": domain, "type": kind,
         "group": group, "attributes": list(attributes), "ancestorData": ancestor}
    if standard is not None:
        p["standard"] = standard
    if concept_id is not None:
        p["conceptId"] = concept_id
    if domain == "SURVEY":
        p["subtype"] = subtype
    return p


def num(operator, *operands, concept_id=None):
    a = {"name": "NUM", "operator": operator, "operands": [str(o) for o in operands]}
    if concept_id is not None:
        a["conceptId"] = concept_id
    return a


def cat(*operands):
    return {"name": "CAT", "operator": "IN", "operands": [str(o) for o in operands]}


def item(kind, *params, modifiers=(), temporal_group=None, id="i"):
    it = {"id": id, "type": kind, "searchParameters": list(params), "modifiers": list(modifiers)}
    if temporal_group is not None:
        it["temporalGroup"] = temporal_group
    return it


def occurrences(operator, *operands):
    return {"name": "NUM_OF_OCCURRENCES", "operator": operator,
            "operands": [str(o) for o in operands]}


def request(*items, temporal=None, excludes=(), data_filters=()):
    group = {"id": "g", "items": list(items), "temporal": bool(temporal)}
    if temporal:
        group.update(dict(zip(("mention", "time", "timeValue"), temporal)))
    return {"includes": [group], "excludes": list(excludes), "dataFilters": list(data_filters)}


def _temporal(mention, time, days, a_items, b_items):
    items = [dict(i, temporalGroup=0, id=f"a{n}") for n, i in enumerate(a_items)]
    items += [dict(i, temporalGroup=1, id=f"b{n}") for n, i in enumerate(b_items)]
    return request(*items, temporal=(mention, time, days))


A = item("CONDITION", param("CONDITION", TEMPORAL_A, "SNOMED", True))
A2 = item("CONDITION", param("CONDITION", TEMPORAL_A2, "SNOMED", True))
B = item("PROCEDURE", param("PROCEDURE", TEMPORAL_B, "SNOMED", True))
BP = [num("GREATER_THAN_OR_EQUAL_TO", 140, concept_id=SYSTOLIC),
      num("GREATER_THAN_OR_EQUAL_TO", 90, concept_id=DIASTOLIC)]
FEMALES = 15

CASES = [
    ("occurrence_dates", request(item(
        "DRUG", param("DRUG", INGREDIENT, "RXNORM", True, ancestor=True),
        modifiers=[occurrences("GREATER_THAN_OR_EQUAL_TO", 2)])),
     1, 2, "distinct (date, concept): person 1's product twice on one day counts once"),
    ("drug_rollup_without_ancestor_data", request(item(
        "DRUG", param("DRUG", INGREDIENT, "RXNORM", True, ancestor=False))),
     3, 0, "the ingredient rolls up to its products whatever ancestorData says"),
    ("drug_atc_class", request(item(
        "DRUG", param("DRUG", ATC_CLASS, "ATC", True, group=True, ancestor=True))),
     3, 3, "an ATC class finds its ingredients' products (same reading)"),
    ("drug_product_concept", request(item("DRUG", param("DRUG", PRODUCT, "RXNORM", True))),
     0, 3, "a product is no drug-tree node: cb_criteria_ancestor has no rows for it"),
    ("lab_num_or_cat", request(item(
        "MEASUREMENT", param("MEASUREMENT", LAB, "LOINC", True,
                             attributes=[num("GREATER_THAN", 7), cat(POSITIVE)]))),
     3, 1, "NUM OR CAT: persons 4, 5, 6 (AND: only 6)"),
    ("lab_first_num_only", request(item(
        "MEASUREMENT", param("MEASUREMENT", LAB, "LOINC", True,
                             attributes=[num("GREATER_THAN", 7), num("LESS_THAN", 8)]))),
     2, 0, "only the first NUM attribute is read"),
    ("lab_no_descendants_with_attributes", request(item(
        "MEASUREMENT", param("MEASUREMENT", LAB_PANEL, "LOINC", True, group=True,
                             attributes=[num("GREATER_THAN", 7)]))),
     0, 2, "a parameter with attributes matches its own concept only"),
    ("bp_as_the_ui_sends_it", request(item(
        "PHYSICAL_MEASUREMENT", param("PHYSICAL_MEASUREMENT", SYSTOLIC, "PPI", False,
                                      attributes=BP))),
     1, 2, "paired by datetime: person 8's readings are an hour apart"),
    ("bp_attributes_in_either_order", request(item(
        "PHYSICAL_MEASUREMENT", param("PHYSICAL_MEASUREMENT", SYSTOLIC, "PPI", False,
                                      attributes=BP[::-1]))),
     1, 0, "the column follows the attribute's conceptId (the Workbench's literal SQL follows "
           "attribute order)"),
    ("pm_source_concept", request(item(
        "PHYSICAL_MEASUREMENT", param("PHYSICAL_MEASUREMENT", PM_WEIGHT, "PPI", False,
                                      attributes=[num("BETWEEN", 60, 80)]))),
     1, 2, "physical measurements are source concepts (measurement_source_concept_id)"),
    ("pm_has_data", request(item(
        "PHYSICAL_MEASUREMENT", param("PHYSICAL_MEASUREMENT", None, None, False))),
     3, 4, "has_physical_measurement_data: a PPI physical-measurement source concept"),
    ("source_concept_in_another_table", request(item(
        "CONDITION", param("CONDITION", E11_9, "ICD10CM", False))),
     2, 1, "no domain filter: person 11's E11.9 is an observation row"),
    ("icd10_hierarchy", request(item(
        "CONDITION", param("CONDITION", E11, "ICD10CM", False, group=True))),
     3, 0, "E11 with descendants finds E11.9 and E11.65 through the ICD10CM codes"),
    ("cpt4_class_descendants", request(item(
        "PROCEDURE", param("PROCEDURE", CPT4_DIGESTIVE, "CPT4", False, group=True))),
     2, 0, "a CPT4 class with descendants finds its codes through concept_ancestor (the "
           "Workbench's prep_cpt tree), not through code prefixes"),
    ("mixed_standard_and_source_with_occurrences", request(item(
        "CONDITION", param("CONDITION", DIABETES, "SNOMED", True, group=True),
        param("CONDITION", E11_65, "ICD10CM", False),
        modifiers=[occurrences("GREATER_THAN_OR_EQUAL_TO", 2)])),
     1, 2, "the union of both parts' events (the literal `person_id IN` also counts person "
           "13's other condition)"),
    ("group_expands_not_ancestor_data", request(item(
        "CONDITION", param("CONDITION", DIABETES, "SNOMED", True, group=False, ancestor=True))),
     1, 4, "only `group` expands a condition"),
    ("standard_defaults_to_false", request(item(
        "CONDITION", param("CONDITION", E11_9, "ICD10CM", None))),
     2, 0, "a parameter without `standard` is a source parameter"),
    ("temporal_first_mention_on_both_sides", _temporal(
        "FIRST_MENTION", "WITHIN_X_DAYS_OF", 5, [A], [B]),
     4, 5, "person 16's first B is 69 days from its first A (its second B is 1 day after)"),
    ("temporal_first_mention_per_item", _temporal(
        "FIRST_MENTION", "WITHIN_X_DAYS_OF", 0, [A, A2], [B]),
     3, 2, "person 17's first A2 is on its B's day (the first of A or A2 is not)"),
    ("temporal_ignores_occurrences", _temporal(
        "ANY_MENTION", "WITHIN_X_DAYS_OF", 0,
        [dict(A, modifiers=[occurrences("GREATER_THAN_OR_EQUAL_TO", 2)])], [B]),
     2, 0, "NUM_OF_OCCURRENCES is not applied inside a temporal group"),
    ("temporal_same_encounter", _temporal("ANY_MENTION", "DURING_SAME_ENCOUNTER_AS", 0, [A], [B]),
     2, 1, "same visit (a missing visit equals a missing visit) and same date"),
    ("survey_any_value", request(item(
        "SURVEY", param("SURVEY", NUMERIC_QUESTION, "PPI", False, subtype="ANSWER",
                        attributes=[{"name": "ANY", "operands": []}]))),
     1, 2, "ANY on a survey answer needs a value_as_number"),
    ("survey_num", request(item(
        "SURVEY", param("SURVEY", NUMERIC_QUESTION, "PPI", False, subtype="QUESTION",
                        attributes=[num("GREATER_THAN", 3)]))),
     1, 1, "NUM on a survey question compares value_as_number (same reading)"),
    ("age_at_current_date_excludes_deceased", request(item(
        "PERSON", param("PERSON", None, "AGE", attributes=[
            {"name": "AGE", "operator": "GREATER_THAN_OR_EQUAL_TO", "operands": ["45"]}]))),
     28, 2, "today everyone born in 1980 or 1978 is 45 or more; 23 is deceased, 24 too young"),
    ("age_at_cdr", request(item(
        "PERSON", param("PERSON", None, "AGE", attributes=[
            {"name": "AGE_AT_CDR", "operator": "GREATER_THAN_OR_EQUAL_TO", "operands": ["42"]}]))),
     1, 29, "the CDR date is the latest event (2020-06-30), not the reference date"),
    ("age_at_consent", request(item(
        "PERSON", param("PERSON", None, "AGE", attributes=[
            {"name": "AGE_AT_CONSENT", "operator": "GREATER_THAN_OR_EQUAL_TO",
             "operands": ["18"]}]))),
     2, 3, "the Consent PII row comes before The Basics: person 24 consented at 17"),
    ("data_filter_lowercase", request(item(
        "PHYSICAL_MEASUREMENT", param("PHYSICAL_MEASUREMENT", None, None, False)),
        data_filters=["has_ehr_data"]),
     1, 0, "column names as the API sends them; of 7, 8, 9 only 9 has EHR rows"),
    ("fitbit_heart_rate_summary_flag", request(item(
        "FITBIT_HEART_RATE_SUMMARY", param("FITBIT_HEART_RATE_SUMMARY", None, "PPI"))),
     1, 2, "each Fitbit domain is its own flag"),
    ("fitbit_any", request(item("FITBIT", param("FITBIT", None, "PPI"))),
     2, 2, "has_fitbit: any Fitbit table (same reading)"),
    ("modifiers_on_demographics_ignored", request(item(
        "PERSON", param("PERSON", FEMALE, "GENDER"),
        modifiers=[{"name": "AGE_AT_EVENT", "operator": "GREATER_THAN_OR_EQUAL_TO",
                    "operands": ["200"]}])),
     FEMALES, 0, "buildDemoSql never reads modifiers"),
]

# Requests the Workbench evaluates on data an OMOP export lacks: cohortlens names them.
UNSUPPORTED = [
    ("genomic_variants", request(item("WHOLE_GENOME_VARIANT",
                                      param("WHOLE_GENOME_VARIANT", None, "PPI"))),
     "WHOLE_GENOME_VARIANT"),
    ("cati_modifier", request(item(
        "SURVEY", param("SURVEY", NUMERIC_QUESTION, "PPI", False, subtype="QUESTION"),
        modifiers=[{"name": "CATI", "operator": "IN", "operands": ["42530794"]}])), "CATI"),
    ("survey_version", request(item(
        "SURVEY", param("SURVEY", NUMERIC_QUESTION, "PPI", False, subtype="QUESTION",
                        attributes=[{"name": "SURVEY_VERSION_CONCEPT_ID", "operator": "IN",
                                     "operands": ["2100000002"]}]))),
     "SURVEY_VERSION_CONCEPT_ID"),
]
