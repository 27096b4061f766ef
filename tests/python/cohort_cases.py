"""Hand-written cohort definitions covering every criterion, modifier, operator and temporal
option of docs/cohort-semantics.md, written against concepts that exist in the synthetic dataset
(`cohortlens generate --persons 10000 --seed 42`) — `CASES` — and in OHDSI Eunomia GiBleed as
imported by `cohortlens import` — `EUNOMIA_CASES`.

Each case is `(name, definition)`. The builders below write the Workbench request shape
(`includes`/`excludes` of SearchGroups, items, searchParameters, attributes, modifiers).
"""

# -- builders -------------------------------------------------------------------------------


# Domains whose parameters the Workbench UI sends as standard concepts (`standard: true`; the
# API's default is false).
STANDARD_DOMAINS = ("CONDITION", "PROCEDURE", "DRUG", "MEASUREMENT", "OBSERVATION", "DEVICE",
                    "VISIT", "DEATH")


def param(domain, concept_id=None, **fields):
    """A SearchParameter of `domain`; `fields` are copied as given (type, subtype, group...);
    `standard` is true for the domains above unless given."""
    result = {"domain": domain}
    if domain in STANDARD_DOMAINS:
        result["standard"] = True
    if concept_id is not None:
        result["conceptId"] = concept_id
    result.update(fields)
    return result


def attr(name, operator, *operands, concept_id=None):
    """An Attribute; operands are turned into strings as the Workbench sends them."""
    result = {"name": name, "operator": operator, "operands": [str(o) for o in operands]}
    if concept_id is not None:
        result["conceptId"] = concept_id
    return result


def any_value():
    """The ANY attribute (every row matches); it has no operator or operands."""
    return {"name": "ANY", "operands": []}


def mod(name, operator, *operands):
    """A Modifier."""
    return {"name": name, "operator": operator, "operands": [str(o) for o in operands]}


def item(*params, modifiers=(), temporal_group=None, id=None):
    """A SearchGroupItem whose type is its first parameter's domain."""
    result = {"type": params[0]["domain"], "searchParameters": list(params),
              "modifiers": list(modifiers)}
    if temporal_group is not None:
        result["temporalGroup"] = temporal_group
    if id is not None:
        result["id"] = id
    return result


def group(*items, id=None, mention=None, time=None, time_value=None):
    """A SearchGroup; giving `mention` and `time` makes it temporal."""
    result = {"items": list(items)}
    if mention is not None:
        result.update({"temporal": True, "mention": mention, "time": time})
        if time_value is not None:
            result["timeValue"] = time_value
    if id is not None:
        result["id"] = id
    return result


def definition(includes=(), excludes=(), data_filters=(), restrict=False):
    """A cohort definition; groups and items without an id get `inc0`, `inc0.1`, ... ids."""
    result = {"includes": list(includes), "excludes": list(excludes)}
    for key, prefix in (("includes", "inc"), ("excludes", "exc")):
        for g, grp in enumerate(result[key]):
            grp.setdefault("id", f"{prefix}{g}")
            for i, itm in enumerate(grp["items"]):
                itm.setdefault("id", f"{prefix}{g}.{i}")
    if data_filters:
        result["dataFilters"] = list(data_filters)
    if restrict:
        result["restrictToObservationPeriod"] = True
    return result


def person(kind, concept_id=None, *attributes):
    """A PERSON parameter (GENDER, SEX, RACE, ETHNICITY, DECEASED, AGE)."""
    return param("PERSON", concept_id, type=kind, attributes=list(attributes))


def bp(systolic, diastolic):
    """A blood-pressure PHYSICAL_MEASUREMENT parameter from its two attributes."""
    return param("PHYSICAL_MEASUREMENT", 903118, subtype="BP", type="PPI",
                 attributes=[dict(systolic, conceptId=903118), dict(diastolic, conceptId=903115)])


# -- synthetic dataset concepts -------------------------------------------------------------

T2DM, DIABETES, ENDOCRINE, T1DM = 201826, 201820, 31821, 201254
HYPERTENSION, HYPERTENSIVE_DISORDER, CARDIOVASCULAR = 320128, 316866, 134057
HEART_FAILURE, CKD = 316139, 46271022
E11_9, E11 = 2100001002, 2100001501  # ICD10CM source concepts of type 2 diabetes
METFORMIN, DIABETES_DRUGS_ATC = 1503297, 2100200101
ATORVASTATIN_20 = 2100100007
ECG = 2100400004
GLUCOSE_STRIPS, DME = 2100500002, 2100500900
INPATIENT, OUTPATIENT, ER = 9201, 9202, 9203
HBA1C, GLUCOSE, HEMOGLOBIN, CREATININE = 3004410, 3004501, 3000963, 3016723
SODIUM, POTASSIUM, LDL, LIPIDS, COVID_PCR = 3019550, 3023103, 3028437, 2100600102, 706163
POSITIVE = 45884084
SMOKING_STATUS, CURRENT_SMOKER = 2100700001, 2100700002
WEIGHT, HEIGHT, BMI, HEART_RATE, WAIST, HIP = 903121, 903133, 903124, 903126, 903135, 903136
LIFESTYLE, THE_BASICS, OVERALL_HEALTH = 1585855, 1586134, 1585710
CIGS_100, CIGS_YES, SMOKE_FREQUENCY, EVERY_DAY = 1585857, 1585858, 1585860, 1585861
GENERAL_HEALTH, FAIR, POOR = 1585711, 2100300104, 2100300105
FEMALE, MALE, SEX_FEMALE, BLACK, HISPANIC = 8532, 8507, 45878463, 8516, 38003563

t2dm = param("CONDITION", T2DM, type="SNOMED")
metformin = param("DRUG", METFORMIN, type="RXNORM", ancestorData=True, group=False)
hba1c_high = param("MEASUREMENT", HBA1C, type="LOINC",
                   attributes=[attr("NUM", "GREATER_THAN", 7)])


def temporal_cases():
    """Every time × mention combination, plus temporal groups in other positions."""
    cases = []
    pairs = {
        # A: type 2 diabetes; B: HbA1c > 7 in the same visit.
        "DURING_SAME_ENCOUNTER_AS": (item(t2dm, temporal_group=0),
                                     item(hba1c_high, temporal_group=1), None),
        # A: type 2 diabetes no later than B: metformin.
        "X_DAYS_BEFORE": (item(t2dm, temporal_group=0), item(metformin, temporal_group=1), 0),
        # A: metformin at least 0 days after B: type 2 diabetes.
        "X_DAYS_AFTER": (item(metformin, temporal_group=0), item(t2dm, temporal_group=1), 0),
        # A: essential hypertension within 7 days of B: an emergency-room visit.
        "WITHIN_X_DAYS_OF": (item(param("CONDITION", HYPERTENSION), temporal_group=0),
                             item(param("VISIT", ER, type="VISIT"), temporal_group=1), 7),
    }
    for time, (a, b, days) in pairs.items():
        for mention in ("ANY_MENTION", "FIRST_MENTION", "LAST_MENTION"):
            name = f"temporal_{time.lower()}_{mention.lower()}"
            grp = group(a, b, mention=mention, time=time, time_value=days)
            cases.append((name, definition([grp])))
    cases += [
        ("temporal_sets_of_several_items_with_modifiers", definition([group(
            item(param("CONDITION", HEART_FAILURE), temporal_group=0),
            item(param("CONDITION", CKD), modifiers=[mod("AGE_AT_EVENT", "GREATER_THAN", 60)],
                 temporal_group=0),
            item(param("DRUG", 956874, ancestorData=True), temporal_group=1),
            item(param("PROCEDURE", ECG, standard=False), modifiers=[mod("ENCOUNTERS", "IN", INPATIENT)],
                 temporal_group=1),
            mention="FIRST_MENTION", time="WITHIN_X_DAYS_OF", time_value=90)])),
        ("temporal_with_num_of_occurrences_and_event_date", definition([group(
            item(t2dm, modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN_OR_EQUAL_TO", 3)],
                 temporal_group=0),
            item(metformin, modifiers=[mod("EVENT_DATE", "GREATER_THAN", "2015-06-30")],
                 temporal_group=1),
            mention="LAST_MENTION", time="X_DAYS_BEFORE", time_value=0)])),
        ("temporal_before_death", definition([group(
            item(param("CONDITION", HEART_FAILURE), temporal_group=0),
            item(param("DEATH", 0), temporal_group=1),
            mention="FIRST_MENTION", time="X_DAYS_BEFORE", time_value=365)])),
        ("temporal_survey_and_physical_measurement", definition([group(
            item(param("SURVEY", CIGS_100, subtype="ANSWER", type="PPI",
                       attributes=[attr("CAT", "IN", CIGS_YES)]), temporal_group=0),
            item(param("PHYSICAL_MEASUREMENT", BMI, subtype="BMI", type="PPI",
                       attributes=[attr("NUM", "GREATER_THAN_OR_EQUAL_TO", 30)]),
                 temporal_group=1),
            mention="ANY_MENTION", time="WITHIN_X_DAYS_OF", time_value=365)])),
        ("temporal_restricted_to_observation_period", definition([group(
            item(t2dm, temporal_group=0), item(hba1c_high, temporal_group=1),
            mention="ANY_MENTION", time="X_DAYS_AFTER", time_value=180)], restrict=True)),
        ("temporal_and_plain_group", definition([
            group(item(t2dm, temporal_group=0), item(metformin, temporal_group=1),
                  mention="FIRST_MENTION", time="WITHIN_X_DAYS_OF", time_value=14),
            group(item(person("GENDER", FEMALE)))])),
        ("temporal_exclude_group", definition(
            [group(item(t2dm))],
            [group(item(t2dm, temporal_group=0), item(metformin, temporal_group=1),
                   mention="ANY_MENTION", time="DURING_SAME_ENCOUNTER_AS")])),
        ("temporal_visit_same_encounter_as_condition", definition([group(
            item(param("VISIT", INPATIENT, type="VISIT"), temporal_group=0),
            item(param("CONDITION", HEART_FAILURE), temporal_group=1),
            mention="LAST_MENTION", time="DURING_SAME_ENCOUNTER_AS")])),
    ]
    return cases


CASES = [
    # -- CONDITION: concepts, hierarchy, source concepts ---------------------------------
    ("condition_t2dm", definition([group(item(t2dm))])),
    ("condition_diabetes_group", definition([group(item(param("CONDITION", DIABETES,
                                                              group=True)))])),
    ("condition_diabetes_without_descendants", definition([group(item(param(
        "CONDITION", DIABETES, group=False)), item(param("CONDITION", T1DM)))])),
    ("condition_endocrine_group", definition([group(item(param(
        "CONDITION", ENDOCRINE, group=True, ancestorData=True)))])),
    ("condition_icd10_source", definition([group(item(param(
        "CONDITION", E11_9, type="ICD10CM", standard=False)))])),
    ("condition_icd10_source_group", definition([group(item(param(
        "CONDITION", E11, type="ICD10CM", standard=False, group=True)))])),
    ("condition_two_parameters_in_one_item", definition([group(item(
        param("CONDITION", T1DM), param("CONDITION", HYPERTENSIVE_DISORDER, group=True)))])),
    ("condition_cardiovascular_group_at_least_twice_per_concept", definition([group(item(
        param("CONDITION", CARDIOVASCULAR, group=True),
        modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN_OR_EQUAL_TO", 5)]))])),
    ("condition_unknown_fields_and_numeric_ids", definition([{
        "id": 7, "name": "ignored", "items": [{
            "id": 8, "type": "CONDITION", "name": "ignored", "modifiers": [],
            "searchParameters": [dict(param("CONDITION", T2DM), parameterId="param201826",
                                      name="Type 2 diabetes mellitus", value="201826",
                                      isStandard=True, conceptName="x")]}]}])),
    # -- DRUG, PROCEDURE, DEVICE, VISIT, OBSERVATION --------------------------------------
    ("drug_metformin_ingredient_with_descendants", definition([group(item(metformin))])),
    ("drug_atc_diabetes_class", definition([group(item(param(
        "DRUG", DIABETES_DRUGS_ATC, type="ATC", group=True)))])),
    ("drug_ingredient_rolls_up_without_ancestor_data", definition([group(item(param(
        "DRUG", METFORMIN, type="RXNORM", ancestorData=False)))])),
    # CPT4 procedures are source concepts in the Workbench's search events.
    ("procedure_ecg", definition([group(item(param(
        "PROCEDURE", ECG, type="CPT4", standard=False)))])),
    ("procedure_ecg_twice", definition([group(item(param(
        "PROCEDURE", ECG, type="CPT4", standard=False),
        modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN_OR_EQUAL_TO", 2)]))])),
    ("device_glucose_strips", definition([group(item(param("DEVICE", GLUCOSE_STRIPS)))])),
    ("device_dme_group", definition([group(item(param("DEVICE", DME, group=True)))])),
    ("visit_inpatient", definition([group(item(param("VISIT", INPATIENT, type="VISIT")))])),
    ("visit_er_three_times", definition([group(item(
        param("VISIT", ER, type="VISIT"), modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN", 2)]
    ))])),
    ("visit_outpatient_with_encounters", definition([group(item(
        param("VISIT", OUTPATIENT),
        modifiers=[mod("ENCOUNTERS", "EQUAL", OUTPATIENT),
                   mod("NUM_OF_OCCURRENCES", "BETWEEN", 10, 12)]))])),
    ("observation_smoking_status", definition([group(item(param(
        "OBSERVATION", SMOKING_STATUS, type="LOINC")))])),
    ("observation_smoking_status_source_in_er", definition([group(item(
        param("OBSERVATION", SMOKING_STATUS, standard=False),
        modifiers=[mod("ENCOUNTERS", "IN", OUTPATIENT, ER)]))])),
    # -- MEASUREMENT attributes and every operator ----------------------------------------
    ("measurement_hba1c_greater_than_7", definition([group(item(hba1c_high))])),
    ("measurement_glucose_between", definition([group(item(param(
        "MEASUREMENT", GLUCOSE, attributes=[attr("NUM", "BETWEEN", 100, 126)])))])),
    ("measurement_hemoglobin_less_than", definition([group(item(param(
        "MEASUREMENT", HEMOGLOBIN, attributes=[attr("NUM", "LESS_THAN", 11.5)])))])),
    ("measurement_creatinine_less_or_equal", definition([group(item(param(
        "MEASUREMENT", CREATININE, attributes=[attr("NUM", "LESS_THAN_OR_EQUAL_TO", 0.7)])))])),
    ("measurement_sodium_equal", definition([group(item(param(
        "MEASUREMENT", SODIUM, attributes=[attr("NUM", "EQUAL", 140)])))])),
    ("measurement_sodium_in", definition([group(item(param(
        "MEASUREMENT", SODIUM, attributes=[attr("NUM", "IN", 133, 135, 147)])))])),
    ("measurement_potassium_not_equal_three_times", definition([group(item(
        param("MEASUREMENT", POTASSIUM, attributes=[attr("NUM", "NOT_EQUAL", 4.2)]),
        modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN_OR_EQUAL_TO", 8)]))])),
    ("measurement_ldl_two_attributes", definition([group(item(param(
        "MEASUREMENT", LDL, attributes=[attr("NUM", "GREATER_THAN_OR_EQUAL_TO", 160),
                                        attr("NUM", "LESS_THAN", 190)])))])),
    ("measurement_lipids_group", definition([group(item(param(
        "MEASUREMENT", LIPIDS, group=True)))])),
    ("measurement_covid_positive_cat", definition([group(item(param(
        "MEASUREMENT", COVID_PCR, attributes=[attr("CAT", "IN", POSITIVE)])))])),
    ("measurement_hba1c_any", definition([group(item(param(
        "MEASUREMENT", HBA1C, attributes=[any_value()])))])),
    ("measurement_hba1c_source", definition([group(item(param(
        "MEASUREMENT", HBA1C, standard=False, attributes=[attr("NUM", "GREATER_THAN", 9)])))])),
    # -- PHYSICAL_MEASUREMENT --------------------------------------------------------------
    ("pm_blood_pressure_high", definition([group(item(bp(
        attr("NUM", "GREATER_THAN_OR_EQUAL_TO", 140), attr("NUM", "GREATER_THAN", 90))))])),
    ("pm_blood_pressure_systolic_between_diastolic_less", definition([group(item(bp(
        attr("NUM", "BETWEEN", 120, 129), attr("NUM", "LESS_THAN", 80))))])),
    ("pm_blood_pressure_any_diastolic", definition([group(item(bp(
        attr("NUM", "LESS_THAN_OR_EQUAL_TO", 100), any_value())))])),
    ("pm_weight_height_bmi", definition([group(
        item(param("PHYSICAL_MEASUREMENT", WEIGHT, subtype="WEIGHT",
                   attributes=[attr("NUM", "GREATER_THAN", 120)]),
             param("PHYSICAL_MEASUREMENT", HEIGHT, subtype="HEIGHT",
                   attributes=[attr("NUM", "LESS_THAN", 150)])),
        item(param("PHYSICAL_MEASUREMENT", BMI, subtype="BMI",
                   attributes=[attr("NUM", "GREATER_THAN_OR_EQUAL_TO", 45)])))])),
    ("pm_heart_rate_waist_hip", definition([
        group(item(param("PHYSICAL_MEASUREMENT", HEART_RATE, subtype="HR",
                         attributes=[attr("NUM", "NOT_EQUAL", 72)]))),
        group(item(param("PHYSICAL_MEASUREMENT", WAIST, subtype="WC",
                         attributes=[attr("NUM", "GREATER_THAN", 100)])),
              item(param("PHYSICAL_MEASUREMENT", HIP, subtype="HC",
                         attributes=[attr("NUM", "IN", 110, 120)])))])),
    # -- SURVEY ----------------------------------------------------------------------------
    ("survey_lifestyle_module", definition([group(item(param(
        "SURVEY", LIFESTYLE, type="PPI", subtype="SURVEY", group=True)))])),
    ("survey_the_basics_and_overall_health", definition([
        group(item(param("SURVEY", THE_BASICS, type="PPI", subtype="SURVEY", group=True))),
        group(item(param("SURVEY", OVERALL_HEALTH, type="PPI", subtype="SURVEY", group=True)))])),
    ("survey_question", definition([group(item(param(
        "SURVEY", SMOKE_FREQUENCY, type="PPI", subtype="QUESTION")))])),
    ("survey_answer", definition([group(item(param(
        "SURVEY", CIGS_100, type="PPI", subtype="ANSWER",
        attributes=[attr("CAT", "IN", CIGS_YES)])))])),
    ("survey_question_with_cat_acts_as_answer", definition([group(item(param(
        "SURVEY", GENERAL_HEALTH, type="PPI", subtype="QUESTION",
        attributes=[attr("CAT", "IN", FAIR, POOR)])))])),
    ("survey_answers_with_modifiers", definition([group(item(
        param("SURVEY", SMOKE_FREQUENCY, type="PPI", subtype="ANSWER",
              attributes=[attr("CAT", "IN", EVERY_DAY)]),
        param("SURVEY", GENERAL_HEALTH, type="PPI", subtype="ANSWER",
              attributes=[attr("CAT", "IN", POOR)]),
        modifiers=[mod("AGE_AT_EVENT", "LESS_THAN", 40),
                   mod("EVENT_DATE", "LESS_THAN_OR_EQUAL_TO", "2020-12-31")]))])),
    # -- FITBIT ----------------------------------------------------------------------------
    ("fitbit_any", definition([group(item(param("FITBIT", type="FITBIT")))])),
    ("fitbit_mean_steps_greater_than", definition([group(item(param(
        "FITBIT", type="FITBIT", attributes=[attr("NUM", "GREATER_THAN", 9000)])))])),
    ("fitbit_mean_steps_between", definition([group(item(param(
        "FITBIT", type="FITBIT", attributes=[attr("NUM", "BETWEEN", 5000, 7000)])))])),
    # -- PERSON ----------------------------------------------------------------------------
    ("person_gender_female", definition([group(item(person("GENDER", FEMALE)))])),
    ("person_sex_at_birth_female", definition([group(item(person("SEX", SEX_FEMALE)))])),
    ("person_race_and_ethnicity", definition([group(item(person("RACE", BLACK)),
                                                    item(person("ETHNICITY", HISPANIC)))])),
    ("person_deceased", definition([group(item(person("DECEASED")))])),
    ("person_age_between", definition([group(item(person(
        "AGE", None, attr("AGE", "BETWEEN", 40, 65))))])),
    ("person_age_equal", definition([group(item(person("AGE", None, attr("AGE", "EQUAL", 50))))])),
    ("person_age_in", definition([group(item(person(
        "AGE", None, attr("AGE", "IN", 30, 40, 50, 60))))])),
    ("person_age_at_cdr_at_least", definition([group(item(person(
        "AGE", None, attr("AGE_AT_CDR", "GREATER_THAN_OR_EQUAL_TO", 70))))])),
    ("person_age_at_consent_less_than", definition([group(item(person(
        "AGE", None, attr("AGE_AT_CONSENT", "LESS_THAN", 30))))])),
    ("person_age_at_consent_not_equal_and_at_cdr", definition([group(item(person(
        "AGE", None, attr("AGE_AT_CONSENT", "NOT_EQUAL", 45),
        attr("AGE_AT_CDR", "LESS_THAN_OR_EQUAL_TO", 47))))])),
    # -- DEATH -----------------------------------------------------------------------------
    ("death_any", definition([group(item(param("DEATH", 0)))])),
    ("death_without_concept", definition([group(item(param("DEATH")))])),
    ("death_heart_failure_cause", definition([group(item(param("DEATH", HEART_FAILURE)))])),
    ("death_cardiovascular_cause_group", definition([group(item(param(
        "DEATH", CARDIOVASCULAR, group=True), modifiers=[mod("AGE_AT_EVENT", "LESS_THAN", 75)]))])),
    # -- modifiers -------------------------------------------------------------------------
    ("modifier_age_at_event", definition([group(item(
        t2dm, modifiers=[mod("AGE_AT_EVENT", "LESS_THAN", 45)]))])),
    ("modifier_event_date_between", definition([group(item(
        t2dm, modifiers=[mod("EVENT_DATE", "BETWEEN", "2015-01-01", "2016-12-31")]))])),
    ("modifier_event_date_on_or_after", definition([group(item(
        hba1c_high, modifiers=[mod("EVENT_DATE", "GREATER_THAN_OR_EQUAL_TO", "2023-01-01")]))])),
    ("modifier_event_date_equal", definition([group(item(
        param("VISIT", OUTPATIENT), modifiers=[mod("EVENT_DATE", "EQUAL", "2022-03-15")]))])),
    ("modifier_encounters_inpatient", definition([group(item(
        t2dm, modifiers=[mod("ENCOUNTERS", "IN", INPATIENT)]))])),
    ("modifier_encounters_on_physical_measurements_drops_all", definition([group(
        item(param("PHYSICAL_MEASUREMENT", WEIGHT, attributes=[attr("NUM", "GREATER_THAN", 100)]),
             modifiers=[mod("ENCOUNTERS", "EQUAL", OUTPATIENT)]),
        item(param("CONDITION", CKD), modifiers=[mod("ENCOUNTERS", "EQUAL", ER)]))])),
    ("modifier_num_of_occurrences_at_least_2", definition([group(item(
        t2dm, modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN_OR_EQUAL_TO", 2)]))])),
    ("modifier_num_of_occurrences_equal_1", definition([group(item(
        t2dm, modifiers=[mod("NUM_OF_OCCURRENCES", "EQUAL", 1)]))])),
    ("modifier_num_of_occurrences_less_than_on_source_group", definition([group(item(
        param("CONDITION", E11, standard=False, group=True),
        modifiers=[mod("NUM_OF_OCCURRENCES", "LESS_THAN", 4)]))])),
    ("modifier_num_of_occurrences_in_on_drugs", definition([group(item(
        metformin, modifiers=[mod("NUM_OF_OCCURRENCES", "IN", 1, 3, 5)]))])),
    ("modifier_num_of_occurrences_on_blood_pressure", definition([group(item(bp(
        attr("NUM", "GREATER_THAN", 130), any_value()),
        modifiers=[mod("NUM_OF_OCCURRENCES", "LESS_THAN_OR_EQUAL_TO", 1)]))])),
    ("modifier_num_of_occurrences_row_matched_by_two_parameters", definition([group(item(
        t2dm, param("CONDITION", DIABETES, group=True), param("CONDITION", E11, standard=False,
                                                              group=True),
        modifiers=[mod("NUM_OF_OCCURRENCES", "EQUAL", 2)]))])),
    ("modifier_num_of_occurrences_standard_then_source_parameter", definition([group(item(
        t2dm, param("CONDITION", E11_9, standard=False),
        modifiers=[mod("NUM_OF_OCCURRENCES", "EQUAL", 2)]))])),
    ("modifier_num_of_occurrences_source_then_standard_parameter", definition([group(item(
        param("CONDITION", E11_9, standard=False), t2dm,
        modifiers=[mod("NUM_OF_OCCURRENCES", "EQUAL", 2)]))])),
    ("modifier_num_of_occurrences_on_death_causes", definition([group(item(
        param("DEATH", 0), modifiers=[mod("NUM_OF_OCCURRENCES", "EQUAL", 1),
                                      mod("AGE_AT_EVENT", "GREATER_THAN", 70)]))])),
    ("modifiers_all_together_in_order", definition([group(item(
        param("CONDITION", HYPERTENSION),
        modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN_OR_EQUAL_TO", 3),
                   mod("ENCOUNTERS", "IN", OUTPATIENT, ER),
                   mod("EVENT_DATE", "GREATER_THAN", "2012-01-01"),
                   mod("AGE_AT_EVENT", "BETWEEN", 50, 70)]))])),
    # -- groups, excludes, data filters, observation period --------------------------------
    ("three_include_groups", definition([group(item(t2dm)), group(item(hba1c_high)),
                                         group(item(person("GENDER", FEMALE)))])),
    ("exclude_metformin", definition([group(item(t2dm))], [group(item(metformin))])),
    ("exclude_two_groups", definition(
        [group(item(param("CONDITION", HYPERTENSION)))],
        [group(item(param("DRUG", 1308216, ancestorData=True))),
         group(item(person("AGE", None, attr("AGE", "LESS_THAN", 50))))])),
    ("excludes_only_one_group", definition([], [group(item(person("DECEASED")))])),
    ("excludes_only_two_groups", definition([], [group(item(t2dm)),
                                                 group(item(person("GENDER", MALE)))])),
    ("data_filter_ehr", definition([group(item(param(
        "SURVEY", LIFESTYLE, type="PPI", subtype="SURVEY", group=True)))], data_filters=["HAS_EHR_DATA"])),
    ("data_filter_physical_measurements", definition(
        [group(item(person("AGE", None, attr("AGE", "GREATER_THAN", 60))))],
        data_filters=["HAS_PHYSICAL_MEASUREMENT_DATA"])),
    ("data_filters_both", definition(
        [group(item(param("SURVEY", SMOKE_FREQUENCY, subtype="QUESTION")))],
        [group(item(person("RACE", BLACK)))],
        data_filters=["HAS_EHR_DATA", "HAS_PHYSICAL_MEASUREMENT_DATA"])),
    ("restrict_to_observation_period", definition([group(
        item(t2dm), item(param("DEATH", 0)),
        item(param("PHYSICAL_MEASUREMENT", BMI, attributes=[attr("NUM", "GREATER_THAN", 35)])))],
        restrict=True)),
    ("restrict_to_observation_period_with_person_and_survey", definition(
        [group(item(param("SURVEY", LIFESTYLE, subtype="SURVEY", group=True)),
               item(person("ETHNICITY", HISPANIC))),
         group(item(param("VISIT", ER), modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN", 1)]))],
        [group(item(param("DEATH", 0)))], restrict=True)),
] + temporal_cases()


# -- Eunomia GiBleed concepts ---------------------------------------------------------------

GI_BLEED, GI_BLEED_ICD10 = 192671, 35208414
CELECOXIB, DICLOFENAC, ACETAMINOPHEN = 1118084, 1124300, 1125315
VIRAL_SINUSITIS, SINUSITIS, OSTEOARTHRITIS, ACUTE_BRONCHITIS = 40481087, 4283893, 80180, 260139
ORAL_TEMPERATURE = 3006322

EUNOMIA_CASES = [
    ("eunomia_gi_bleed", definition([group(item(param("CONDITION", GI_BLEED)))])),
    ("eunomia_gi_bleed_icd10_source", definition([group(item(param(
        "CONDITION", GI_BLEED_ICD10, standard=False, type="ICD10CM")))])),
    ("eunomia_sinusitis_group", definition([group(item(param(
        "CONDITION", SINUSITIS, group=True)))])),
    ("eunomia_celecoxib_or_diclofenac_when_older", definition([group(
        item(param("DRUG", CELECOXIB, ancestorData=True),
             modifiers=[mod("AGE_AT_EVENT", "GREATER_THAN_OR_EQUAL_TO", 42)]),
        item(param("DRUG", DICLOFENAC, group=True),
             modifiers=[mod("AGE_AT_EVENT", "GREATER_THAN_OR_EQUAL_TO", 40)]))])),
    ("eunomia_diclofenac_rolls_up_without_ancestor_data", definition([group(item(param(
        "DRUG", DICLOFENAC, type="RXNORM")))])),
    ("eunomia_acetaminophen_descendants_three_times", definition([group(item(
        param("DRUG", ACETAMINOPHEN, ancestorData=True),
        modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN_OR_EQUAL_TO", 3)]))])),
    ("eunomia_viral_sinusitis_age_and_date", definition([group(item(
        param("CONDITION", VIRAL_SINUSITIS),
        modifiers=[mod("AGE_AT_EVENT", "LESS_THAN", 30),
                   mod("EVENT_DATE", "BETWEEN", "2000-01-01", "2010-12-31")]))])),
    ("eunomia_inpatient_visit", definition([group(item(param("VISIT", 9201)))])),
    ("eunomia_condition_during_inpatient_visit", definition([group(item(
        param("CONDITION", OSTEOARTHRITIS), modifiers=[mod("ENCOUNTERS", "IN", 9201)]))])),
    ("eunomia_measurement_any", definition([group(item(param(
        "MEASUREMENT", ORAL_TEMPERATURE, attributes=[any_value()]),
        modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN", 6)]))])),
    ("eunomia_person_female_hispanic_older", definition([
        group(item(person("GENDER", FEMALE))),
        group(item(person("ETHNICITY", HISPANIC)), item(person("RACE", BLACK))),
        group(item(person("AGE", None, attr("AGE", "GREATER_THAN_OR_EQUAL_TO", 60))))])),
    ("eunomia_gi_bleed_without_nsaids", definition(
        [group(item(param("CONDITION", GI_BLEED)))],
        [group(item(param("DRUG", CELECOXIB)))])),
    ("eunomia_celecoxib_before_gi_bleed", definition([group(
        item(param("DRUG", CELECOXIB), temporal_group=0),
        item(param("CONDITION", GI_BLEED), temporal_group=1),
        mention="FIRST_MENTION", time="X_DAYS_BEFORE", time_value=30)])),
    ("eunomia_bronchitis_within_acetaminophen", definition([group(
        item(param("CONDITION", ACUTE_BRONCHITIS), temporal_group=0),
        item(param("DRUG", ACETAMINOPHEN, ancestorData=True), temporal_group=1),
        mention="LAST_MENTION", time="WITHIN_X_DAYS_OF", time_value=3)])),
    # Same encounter: the same visit (none on either side here) and the same date.
    ("eunomia_same_encounter", definition([group(
        item(param("CONDITION", OSTEOARTHRITIS), temporal_group=0),
        item(param("DRUG", CELECOXIB, ancestorData=True), temporal_group=1),
        mention="ANY_MENTION", time="DURING_SAME_ENCOUNTER_AS")])),
    ("eunomia_restricted_with_ehr_filter", definition(
        [group(item(param("CONDITION", SINUSITIS, group=True),
                    modifiers=[mod("EVENT_DATE", "GREATER_THAN", "2000-01-01")]),
               item(param("DRUG", ACETAMINOPHEN, ancestorData=True),
                    modifiers=[mod("NUM_OF_OCCURRENCES", "GREATER_THAN", 5)]))],
        data_filters=["HAS_EHR_DATA"], restrict=True)),
]
