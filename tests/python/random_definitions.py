"""Random but valid cohort definitions drawn from what a dataset contains, and a shrinker.

`build_catalog(con, dataset_dir)` asks DuckDB what the dataset holds: the concepts used in each
domain table's standard and source columns and their ancestors, measurement values, physical
measurements, survey modules/questions/answers, visit concepts, person attributes, Fitbit
steps and the span of event dates. `generate(rng, catalog)` draws a definition from it (1–3
include groups, 0–2 exclude groups, 1–3 items each, random attributes, operators and modifiers,
sometimes temporal groups, data filters and restrictToObservationPeriod).
`shrink(definition, still_fails)` greedily removes parts of a failing definition while it keeps
failing.
"""

import copy
import datetime

from cohort_cases import any_value, attr, definition, group, item, mod, param
from cohortlens_oracle.cohort import DIASTOLIC, EVENT_DOMAINS, PHYSICAL_EXAM_TYPE, SURVEY_TYPE, SYSTOLIC, schema_for

NUMERIC_OPERATORS = ("EQUAL", "NOT_EQUAL", "LESS_THAN", "GREATER_THAN", "LESS_THAN_OR_EQUAL_TO",
                     "GREATER_THAN_OR_EQUAL_TO", "IN", "BETWEEN")
MENTIONS = ("ANY_MENTION", "FIRST_MENTION", "LAST_MENTION")
TIMES = ("DURING_SAME_ENCOUNTER_AS", "X_DAYS_BEFORE", "X_DAYS_AFTER", "WITHIN_X_DAYS_OF")
DATA_FILTERS = ("HAS_EHR_DATA", "HAS_PHYSICAL_MEASUREMENT_DATA")
CONCEPT_DOMAINS = ("CONDITION", "PROCEDURE", "DRUG", "MEASUREMENT", "OBSERVATION", "DEVICE",
                   "VISIT")
PERSON_COLUMNS = {"GENDER": "gender_concept_id", "SEX": "sex_at_birth_concept_id",
                  "RACE": "race_concept_id", "ETHNICITY": "ethnicity_concept_id"}
QUANTILES = "[0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]"


# -- catalog --------------------------------------------------------------------------------


def _column(con, sql):
    """The first column of a query's rows."""
    return [row[0] for row in con.execute(sql).fetchall()]


def build_catalog(con, dataset_dir):
    """What the dataset holds, as JSON-serializable lists and dicts (see the module docstring)."""
    s = schema_for(con, dataset_dir)

    def known(col):
        """SQL: `col` is a concept of the dataset's vocabulary (and not 0)."""
        return f"{col} IN (SELECT concept_id FROM {s}.concept) AND {col} <> 0"

    def used(table, col, where="TRUE"):
        return _column(con, f"SELECT DISTINCT {col} FROM {s}.{table} "
                            f"WHERE {where} AND {known(col)} ORDER BY 1")

    def ancestors(ids):
        if not ids:
            return []
        return _column(con, f"""
            SELECT DISTINCT ancestor_concept_id FROM {s}.concept_ancestor
            WHERE descendant_concept_id IN ({', '.join(map(str, ids))})
              AND ancestor_concept_id <> descendant_concept_id
              AND {known('ancestor_concept_id')} ORDER BY 1""")

    def quantiles(where):
        rows = con.execute(f"""
            SELECT measurement_concept_id, quantile_disc(value_as_number, {QUANTILES})
            FROM {s}.measurement WHERE {where} AND value_as_number IS NOT NULL
            GROUP BY 1 ORDER BY 1""").fetchall()
        return {str(k): sorted(set(v)) for k, v in rows}

    not_physical = f"measurement_type_concept_id IS DISTINCT FROM {PHYSICAL_EXAM_TYPE}"
    catalog = {"domains": {}}
    for domain in CONCEPT_DOMAINS + ("DEATH",):
        spec = EVENT_DOMAINS[domain]
        where = {"MEASUREMENT": not_physical,
                 "OBSERVATION": f"observation_type_concept_id IS DISTINCT FROM {SURVEY_TYPE}",
                 }.get(domain, "TRUE")
        standard = used(spec.table, spec.standard, where)
        source = used(spec.table, spec.source, where)
        pairs = con.execute(f"""
            SELECT DISTINCT {spec.standard}, {spec.source} FROM {s}.{spec.table}
            WHERE {where} AND {known(spec.standard)} AND {known(spec.source)}
            ORDER BY 1, 2""").fetchall()
        catalog["domains"][domain] = {
            "standard": standard, "source": source,
            "standard_ancestors": ancestors(standard), "source_ancestors": ancestors(source),
            "standard_source_pairs": [list(pair) for pair in pairs]}
    catalog["measurement_numbers"] = quantiles(not_physical)
    catalog["measurement_categories"] = {str(k): v for k, v in con.execute(f"""
        SELECT measurement_concept_id, list(DISTINCT value_as_concept_id ORDER BY 1)
        FROM {s}.measurement WHERE {known('value_as_concept_id')}
        GROUP BY 1 ORDER BY 1""").fetchall()}
    catalog["physical_measurements"] = quantiles(
        f"measurement_type_concept_id = {PHYSICAL_EXAM_TYPE} AND {known('measurement_concept_id')}")
    questions = con.execute(f"""
        SELECT observation_source_concept_id,
               list(DISTINCT value_source_concept_id ORDER BY 1)
                   FILTER (WHERE {known('value_source_concept_id')})
        FROM {s}.observation
        WHERE observation_type_concept_id = {SURVEY_TYPE}
          AND {known('observation_source_concept_id')}
        GROUP BY 1 ORDER BY 1""").fetchall()
    catalog["survey_questions"] = {str(q): answers or [] for q, answers in questions}
    catalog["survey_modules"] = ancestors([q for q, _ in questions])
    catalog["visit_concepts"] = used("visit_occurrence", "visit_concept_id")
    catalog["person"] = {kind: used("person", col) for kind, col in PERSON_COLUMNS.items()}
    catalog["has_death"] = bool(_column(con, f"SELECT count(*) FROM {s}.death")[0])
    catalog["has_fitbit"] = bool(_column(con, f"""
        SELECT count(*) FROM (SELECT person_id FROM {s}.activity_summary
                              UNION ALL SELECT person_id FROM {s}.heart_rate_summary)""")[0])
    catalog["fitbit_mean_steps"] = sorted(set(_column(con, f"""
        SELECT unnest(quantile_disc(round(mean_steps), {QUANTILES})) FROM (
            SELECT avg(steps) AS mean_steps FROM {s}.activity_summary GROUP BY person_id)""")))
    first, last = con.execute(f"""
        SELECT min(d), max(d) FROM (
            SELECT condition_start_date AS d FROM {s}.condition_occurrence
            UNION ALL SELECT drug_exposure_start_date FROM {s}.drug_exposure
            UNION ALL SELECT measurement_date FROM {s}.measurement
            UNION ALL SELECT observation_date FROM {s}.observation)""").fetchall()[0]
    catalog["dates"] = [str(first or "2000-01-01"), str(last or "2020-12-31")]
    return catalog


# -- generation -----------------------------------------------------------------------------


def _text(value):
    """A number as the Workbench sends it: a string, without a trailing `.0`."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _operator(rng):
    return rng.choice(NUMERIC_OPERATORS)


def _operands(rng, operator, values):
    """Operands for `operator` drawn from `values` (BETWEEN gets an ordered pair)."""
    if operator == "BETWEEN":
        low, high = sorted(rng.sample(values, 2) if len(values) > 1 else values * 2)
        return [_text(low), _text(high)]
    if operator == "IN":
        return [_text(v) for v in rng.sample(values, rng.randint(1, min(3, len(values))))]
    return [_text(rng.choice(values))]


def _numeric(rng, name, values, **extra):
    operator = _operator(rng)
    result = {"name": name, "operator": operator, "operands": _operands(rng, operator, values)}
    result.update(extra)
    return result


def _concept_param(rng, catalog, domain):
    """A concept-based parameter: a used concept or an ancestor, standard or source column."""
    concepts = catalog["domains"][domain]
    standard = not concepts["source"] or rng.random() < 0.75
    used, ancestors = ((concepts["standard"], concepts["standard_ancestors"]) if standard
                       else (concepts["source"], concepts["source_ancestors"]))
    fields = {"standard": standard}
    if ancestors and rng.random() < 0.3:
        concept = rng.choice(ancestors)
        fields[rng.choice(("group", "ancestorData"))] = True
    else:
        concept = rng.choice(used)
        if rng.random() < 0.15:
            fields["group"] = True
    result = param(domain, concept, **fields)
    if domain == "MEASUREMENT":
        result["attributes"] = _measurement_attributes(rng, catalog, concept)
    return result


def _measurement_attributes(rng, catalog, concept):
    numbers = catalog["measurement_numbers"].get(str(concept))
    categories = catalog["measurement_categories"].get(str(concept))
    roll = rng.random()
    if categories and roll < 0.6:
        return [attr("CAT", "IN", *rng.sample(categories, rng.randint(1, len(categories))))]
    if numbers and roll < 0.75:
        return [_numeric(rng, "NUM", numbers) for _ in range(rng.choice((1, 1, 2)))]
    if roll < 0.85:
        return [any_value()]
    if roll < 0.95 and catalog["measurement_numbers"]:
        values = rng.choice(list(catalog["measurement_numbers"].values()))
        return [_numeric(rng, "NUM", values)]
    return []


def _physical_measurement(rng, catalog):
    measurements = catalog["physical_measurements"]
    if str(SYSTOLIC) in measurements and str(DIASTOLIC) in measurements and rng.random() < 0.4:
        sides = []
        for concept in (SYSTOLIC, DIASTOLIC):
            if rng.random() < 0.2:
                sides.append(dict(any_value(), conceptId=concept))
            else:
                sides.append(_numeric(rng, "NUM", measurements[str(concept)], conceptId=concept))
        return param("PHYSICAL_MEASUREMENT", SYSTOLIC, type="PPI", subtype="BP", attributes=sides)
    concept = rng.choice(sorted(measurements))
    return param("PHYSICAL_MEASUREMENT", int(concept), type="PPI",
                 attributes=[_numeric(rng, "NUM", measurements[concept])])


def _survey(rng, catalog):
    questions = catalog["survey_questions"]
    roll = rng.random()
    if catalog["survey_modules"] and roll < 0.25:
        return param("SURVEY", rng.choice(catalog["survey_modules"]), type="PPI",
                     subtype="SURVEY", group=True)
    question = rng.choice(sorted(questions))
    answers = questions[question]
    if not answers or roll < 0.5:
        return param("SURVEY", int(question), type="PPI", subtype="QUESTION")
    chosen = rng.sample(answers, rng.randint(1, min(3, len(answers))))
    subtype = "ANSWER" if roll < 0.85 else "QUESTION"
    return param("SURVEY", int(question), type="PPI", subtype=subtype,
                 attributes=[attr("CAT", "IN", *chosen)])


def _person(rng, catalog):
    kinds = [k for k, ids in catalog["person"].items() if ids] + ["AGE", "AGE"]
    if catalog["has_death"]:
        kinds.append("DECEASED")
    kind = rng.choice(kinds)
    if kind == "DECEASED":
        return param("PERSON", type="DECEASED")
    if kind == "AGE":
        name = rng.choice(("AGE", "AGE_AT_CDR", "AGE_AT_CONSENT"))
        return param("PERSON", type="AGE",
                     attributes=[_numeric(rng, name, list(range(20, 91, 5)) + [33, 47, 61])])
    return param("PERSON", rng.choice(catalog["person"][kind]), type=kind)


def _fitbit(rng, catalog):
    if catalog["fitbit_mean_steps"] and rng.random() < 0.6:
        return param("FITBIT", type="FITBIT",
                     attributes=[_numeric(rng, "NUM", catalog["fitbit_mean_steps"])])
    return param("FITBIT", type="FITBIT")


def _death(rng, catalog):
    causes = catalog["domains"]["DEATH"]
    if causes["standard"] and rng.random() < 0.5:
        ancestors = causes["standard_ancestors"]
        if ancestors and rng.random() < 0.3:
            return param("DEATH", rng.choice(ancestors), group=True)
        return param("DEATH", rng.choice(causes["standard"]))
    return param("DEATH", 0)


def _domains(catalog, person_level):
    """The domains this dataset can draw parameters from (weights by repetition)."""
    domains = [d for d in CONCEPT_DOMAINS if catalog["domains"][d]["standard"]]
    domains += ["CONDITION", "DRUG", "MEASUREMENT"]  # the Workbench's most used ones
    if catalog["physical_measurements"]:
        domains.append("PHYSICAL_MEASUREMENT")
    if catalog["survey_questions"]:
        domains.append("SURVEY")
    if catalog["has_death"]:
        domains.append("DEATH")
    if person_level:
        domains += ["PERSON", "PERSON"]
        if catalog["has_fitbit"]:
            domains.append("FITBIT")
    return domains


def _parameter(rng, catalog, domain):
    if domain in CONCEPT_DOMAINS:
        return _concept_param(rng, catalog, domain)
    return {"PHYSICAL_MEASUREMENT": _physical_measurement, "SURVEY": _survey,
            "PERSON": _person, "FITBIT": _fitbit, "DEATH": _death}[domain](rng, catalog)


def _date(rng, catalog):
    first, last = (datetime.date.fromisoformat(d) for d in catalog["dates"])
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _modifiers(rng, catalog):
    result = []
    if rng.random() < 0.25:
        result.append(_numeric(rng, "AGE_AT_EVENT", list(range(20, 91, 5))))
    if rng.random() < 0.25:
        operator = _operator(rng)
        count = 2 if operator == "BETWEEN" else rng.randint(1, 3) if operator == "IN" else 1
        dates = sorted(_date(rng, catalog) for _ in range(count))
        result.append(mod("EVENT_DATE", operator, *[d.isoformat() for d in dates]))
    if catalog["visit_concepts"] and rng.random() < 0.2:
        visits = catalog["visit_concepts"]
        if rng.random() < 0.5:
            result.append(mod("ENCOUNTERS", "EQUAL", rng.choice(visits)))
        else:
            result.append(mod("ENCOUNTERS", "IN",
                              *rng.sample(visits, rng.randint(1, len(visits)))))
    if rng.random() < 0.25:
        result.append(_numeric(rng, "NUM_OF_OCCURRENCES", [1, 2, 3, 4, 5, 8]))
    rng.shuffle(result)  # the order given must not matter
    return result


def _same_rows(rng, catalog, domain):
    """Two parameters matching the same rows: through the standard and the source column."""
    standard, source = rng.choice(catalog["domains"][domain]["standard_source_pairs"])
    params = [param(domain, standard, standard=True), param(domain, source, standard=False)]
    rng.shuffle(params)  # the order of an item's parameters must not matter
    return params


def _item(rng, catalog, person_level, excluded_domains=()):
    domain = rng.choice([d for d in _domains(catalog, person_level) if d not in excluded_domains])
    overlapping = domain in CONCEPT_DOMAINS and domain != "MEASUREMENT" and rng.random() < 0.1
    if overlapping and catalog["domains"][domain]["standard_source_pairs"]:
        params = _same_rows(rng, catalog, domain)
    else:
        params = [_parameter(rng, catalog, domain) for _ in range(rng.choice((1, 1, 1, 2)))]
    modifiers = [] if domain in ("PERSON", "FITBIT") else _modifiers(rng, catalog)
    return item(*params, modifiers=modifiers)


def _group(rng, catalog):
    if rng.random() < 0.2:
        time = rng.choice(TIMES)
        excluded = ("DEATH",) if time == "DURING_SAME_ENCOUNTER_AS" else ()
        items = [_item(rng, catalog, False, excluded) for _ in range(rng.randint(2, 3))]
        sides = [0, 1] + [rng.randint(0, 1) for _ in items[2:]]
        rng.shuffle(sides)
        for itm, side in zip(items, sides):
            itm["temporalGroup"] = side
        value = None if time == "DURING_SAME_ENCOUNTER_AS" else rng.choice((0, 1, 7, 30, 90, 365))
        return group(*items, mention=rng.choice(MENTIONS), time=time, time_value=value)
    return group(*[_item(rng, catalog, True) for _ in range(rng.randint(1, 3))])


def generate(rng, catalog):
    """A random valid definition drawn with `rng` (a random.Random) from `catalog`."""
    includes = [_group(rng, catalog) for _ in range(rng.choice((0, 1, 1, 1, 1, 2, 2, 3)))]
    excludes = [_group(rng, catalog)
                for _ in range(rng.choice((0, 0, 1, 2)) if includes else rng.randint(1, 2))]
    filters = [f for f in DATA_FILTERS if rng.random() < 0.15]
    result = definition(includes, excludes, filters, restrict=rng.random() < 0.2)
    if rng.random() < 0.2:  # numeric ids are allowed too
        for n, grp in enumerate(result["includes"] + result["excludes"]):
            grp["id"] = 100 * n
            for i, itm in enumerate(grp["items"]):
                itm["id"] = 100 * n + i + 1
    return result


# -- shrinking ------------------------------------------------------------------------------


def _smaller(definition):
    """Every definition one simplification away from `definition`, biggest cuts first."""
    groups = [(key, g) for key in ("includes", "excludes")
              for g in range(len(definition.get(key, [])))]
    if len(groups) > 1:
        for key, g in groups:
            candidate = copy.deepcopy(definition)
            del candidate[key][g]
            yield candidate
    for key, g in groups:
        grp = definition[key][g]
        if grp.get("temporal"):
            candidate = copy.deepcopy(definition)
            plain = candidate[key][g]
            for field in ("temporal", "mention", "time", "timeValue"):
                plain.pop(field, None)
            for itm in plain["items"]:
                itm.pop("temporalGroup", None)
            yield candidate
        for i in range(len(grp["items"])):
            if len(grp["items"]) > 1:
                candidate = copy.deepcopy(definition)
                del candidate[key][g]["items"][i]
                yield candidate
            for path in _item_parts(grp["items"][i]):
                candidate = copy.deepcopy(definition)
                _remove(candidate[key][g]["items"][i], path)
                yield candidate
    for field in ("dataFilters",):
        for k in range(len(definition.get(field, []))):
            candidate = copy.deepcopy(definition)
            del candidate[field][k]
            yield candidate
    if definition.get("restrictToObservationPeriod"):
        candidate = copy.deepcopy(definition)
        candidate["restrictToObservationPeriod"] = False
        yield candidate


def _item_parts(itm):
    """Paths of the removable parts of an item: parameters, modifiers, attributes, flags."""
    params = itm["searchParameters"]
    if len(params) > 1:
        yield from (("searchParameters", j) for j in range(len(params)))
    yield from (("modifiers", k) for k in range(len(itm.get("modifiers", []))))
    for j, p in enumerate(params):
        yield from (("searchParameters", j, "attributes", a)
                    for a in range(len(p.get("attributes", []))))
        for flag in ("group", "ancestorData"):
            if p.get(flag):
                yield ("searchParameters", j, flag)


def _remove(node, path):
    """Deletes the list element or flag at `path` inside `node`."""
    *parents, last = path
    for key in parents:
        node = node[key]
    if isinstance(last, int):
        del node[last]
    else:
        node[last] = False


def shrink(definition, still_fails):
    """A minimal definition for which `still_fails` holds, by greedily removing parts."""
    current = definition
    progress = True
    while progress:
        progress = False
        for candidate in _smaller(current):
            if still_fails(candidate):
                current, progress = candidate, True
                break
    return current
