//! Criteria in SQL: the events a part of an item selects (`person_id, entry_date, concept_id,
//! visit_id, part`, as the engine's index reads them from the event tables), the persons of a
//! person criterion or flag, and the person-level values the engine derives at load (birth
//! dates, the CDR date, the consent date).

use super::dialect::SqlType;
use super::groups::{Compiler, Support};
use crate::cdm::EventTable;
use crate::cdm::concepts::{DIASTOLIC, PHYSICAL_EXAM, SURVEY_TYPE, SYSTOLIC};
use crate::cohort::plan::{AgeAt, Cmp, Criterion, Flag, PersonCriterion, RowAttr};

/// The search-event tables whose latest date is the CDR date (every event table but `death`).
const SEARCH_TABLES: [EventTable; 7] = [
    EventTable::Condition,
    EventTable::Procedure,
    EventTable::Drug,
    EventTable::Measurement,
    EventTable::Observation,
    EventTable::Device,
    EventTable::Visit,
];

/// `expr IN (ids)`, `FALSE` for no ids.
pub(super) fn among(expr: &str, ids: &[i32]) -> String {
    if ids.is_empty() {
        return "FALSE".into();
    }
    let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
    format!("{expr} IN ({})", list.join(", "))
}

impl Compiler<'_> {
    /// An empty set of events.
    pub(super) fn no_events(&self) -> String {
        let d = self.dialect;
        let columns = [
            ("person_id", SqlType::BigInt),
            ("entry_date", SqlType::Date),
            ("concept_id", SqlType::Integer),
            ("visit_id", SqlType::BigInt),
        ];
        d.no_rows(&format!("{}, 0 AS part", d.nulls(&columns)))
    }

    /// An empty set of persons.
    pub(super) fn no_persons(&self) -> String {
        self.dialect.no_rows(&self.dialect.nulls(&[("person_id", SqlType::BigInt)]))
    }

    /// `UNION` of person selects (nothing: no one).
    pub(super) fn union(&self, selects: Vec<String>) -> String {
        if selects.is_empty() {
            self.no_persons()
        } else {
            selects.join(&format!("\n{}\n", self.dialect.union()))
        }
    }

    /// `alias.column`, or a typed NULL when the dataset's table lacks the column.
    pub(super) fn column(&self, alias: &str, table: &str, column: &str, ty: SqlType) -> String {
        if self.tables.has_column(table, column) {
            format!("{alias}.{column}")
        } else {
            self.dialect.null(ty)
        }
    }

    /// A comparison of a number expression (a NULL never passes).
    pub(super) fn compare(&self, expr: &str, cmp: &Cmp<f64>) -> String {
        let d = |x: f64| self.dialect.double(x);
        compare_with(expr, cmp, d)
    }

    /// A comparison of a date expression.
    pub(super) fn compare_date(&self, expr: &str, cmp: &Cmp<i32>) -> String {
        compare_with(expr, cmp, |x| self.dialect.date(x))
    }

    /// The known persons (`person` rows with an id), for `IN`.
    pub(super) fn known(&self) -> &'static str {
        "(SELECT person_id FROM person WHERE person_id IS NOT NULL)"
    }

    /// The events of one criterion of an event item, tagged with `part`; `None` when the
    /// dataset lacks its table.
    pub(super) fn events(&self, c: &Criterion, part: u32) -> Option<String> {
        match c {
            Criterion::Rows { table, source, concepts, attrs, visits } => {
                let spec = table.columns();
                let column = if *source { spec.source } else { spec.concept };
                let filter = if self.tables.has_column(spec.table, column) {
                    among(&format!("e.{column}"), concepts)
                } else {
                    "FALSE".into()
                };
                let attrs: Vec<String> = attrs.iter().map(|a| self.attribute(*table, a)).collect();
                let conditions = std::iter::once(filter).chain(attrs).collect::<Vec<_>>().join(" AND ");
                self.event_select(*table, column, *visits, part, &conditions)
            }
            Criterion::AllRows { table } => {
                let spec = table.columns();
                self.event_select(*table, spec.concept, false, part, "TRUE")
            }
            Criterion::BloodPressure { source, systolic, diastolic } => {
                let spec = EventTable::Measurement.columns();
                let column = if *source { spec.source } else { spec.concept };
                if !self.tables.has_column(spec.table, column) {
                    return self.event_select(EventTable::Measurement, column, true, part, "FALSE");
                }
                let sides =
                    [(SYSTOLIC, systolic, diastolic, DIASTOLIC), (DIASTOLIC, diastolic, systolic, SYSTOLIC)]
                        .map(|(concept, own, other, other_concept)| {
                            let own = own.as_ref().map_or("TRUE".into(), |cmp| {
                                self.compare(
                                    &self.column("e", "measurement", "value_as_number", SqlType::Double),
                                    cmp,
                                )
                            });
                            let paired = other.as_ref().map_or("TRUE".into(), |cmp| {
                                self.blood_pressure_partner(column, other_concept, cmp)
                            });
                            format!("(e.{column} = {concept} AND {own} AND {paired})")
                        });
                let conditions = format!("({} OR {})", sides[0], sides[1]);
                self.event_select(EventTable::Measurement, column, true, part, &conditions)
            }
            Criterion::Person(_) => None,
        }
    }

    /// A reading of `concept` at the same person and `measurement_datetime` as `e` that
    /// passes `cmp` (the pairing `build-search-all-events.sh` makes).
    fn blood_pressure_partner(&self, column: &str, concept: i32, cmp: &Cmp<f64>) -> String {
        if !self.tables.has_column("measurement", "measurement_datetime") {
            return "FALSE".into();
        }
        let value = self.column("o", "measurement", "value_as_number", SqlType::Double);
        format!(
            "EXISTS (SELECT 1 FROM measurement o WHERE o.person_id = e.person_id AND o.measurement_datetime = e.measurement_datetime AND o.{column} = {concept} AND {})",
            self.compare(&value, cmp)
        )
    }

    /// `SELECT person_id, entry_date, concept_id, visit_id, part` of the rows of `table`
    /// of known persons satisfying `conditions`, the concept read from `column`.
    fn event_select(
        &self,
        table: EventTable,
        column: &str,
        visits: bool,
        part: u32,
        conditions: &str,
    ) -> Option<String> {
        let spec = table.columns();
        if !self.tables.has(spec.table) {
            return None;
        }
        let date = self.dialect.to_date(&self.column("e", spec.table, spec.date, SqlType::Date));
        let concept = self.column("e", spec.table, column, SqlType::Integer);
        // A visit `visit_occurrence` lacks is no visit (the search events' LEFT JOIN).
        let (visit, join) = match spec.visit {
            Some(v)
                if visits && self.tables.has_column(spec.table, v) && self.tables.has("visit_occurrence") =>
            {
                (
                    "kv.known_visit".to_owned(),
                    format!(
                        " LEFT JOIN (SELECT DISTINCT visit_occurrence_id AS known_visit FROM visit_occurrence) kv ON kv.known_visit = e.{v}"
                    ),
                )
            }
            _ => (self.dialect.null(SqlType::BigInt), String::new()),
        };
        Some(format!(
            "SELECT e.person_id, {date} AS entry_date, {concept} AS concept_id, {visit} AS visit_id, {part} AS part FROM {} e{join} WHERE e.person_id IN {} AND {conditions}",
            spec.table,
            self.known()
        ))
    }

    /// A value attribute on a row of `table` (only `measurement` and `observation` carry
    /// values in the engine).
    fn attribute(&self, table: EventTable, a: &RowAttr) -> String {
        let name = table.table();
        let valued = matches!(table, EventTable::Measurement | EventTable::Observation);
        let column = |column: &str, ty: SqlType| {
            if valued { self.column("e", name, column, ty) } else { self.dialect.null(ty) }
        };
        let number = column("value_as_number", SqlType::Double);
        let value_concept = column("value_as_concept_id", SqlType::Integer);
        let value_source = if table == EventTable::Observation {
            column("value_source_concept_id", SqlType::Integer)
        } else {
            self.dialect.null(SqlType::Integer)
        };
        match a {
            RowAttr::Number(cmp) => self.compare(&number, cmp),
            RowAttr::ValueConcept(set) => among(&value_concept, set),
            RowAttr::ValueSource(set) => among(&value_source, set),
            RowAttr::NumberOr { number: cmp, concepts, source } => {
                let concept = if *source { &value_source } else { &value_concept };
                format!("({} OR {})", self.compare(&number, cmp), among(concept, concepts))
            }
            RowAttr::HasNumber => format!("{number} IS NOT NULL"),
        }
    }

    /// The persons of a person criterion.
    pub(super) fn person_criterion(&mut self, c: &PersonCriterion) -> String {
        let demographic = |column: &str, concept: i32| {
            if self.tables.has_column("person", column) {
                format!("SELECT person_id FROM person WHERE {column} = {concept}")
            } else {
                self.no_persons()
            }
        };
        match c {
            PersonCriterion::Gender(c) => demographic("gender_concept_id", *c),
            PersonCriterion::Sex(c) => demographic("sex_at_birth_concept_id", *c),
            PersonCriterion::Race(c) => demographic("race_concept_id", *c),
            PersonCriterion::Ethnicity(c) => demographic("ethnicity_concept_id", *c),
            PersonCriterion::Deceased => self.deceased(),
            PersonCriterion::Flag(f) => self.flag(*f),
            PersonCriterion::Age(ages) => self.ages(ages),
            PersonCriterion::Steps(steps) => {
                if !self.tables.has_column("activity_summary", "steps") {
                    return self.no_persons();
                }
                // A double division (DataFusion divides integers as integers).
                let mean = format!("{} / COUNT(*)", self.dialect.cast("SUM(s.steps)", SqlType::Double));
                let tests: Vec<String> = steps.iter().map(|cmp| self.compare(&mean, cmp)).collect();
                format!(
                    "SELECT s.person_id FROM activity_summary s WHERE s.steps IS NOT NULL GROUP BY s.person_id HAVING {}",
                    if tests.is_empty() { "TRUE".into() } else { tests.join(" AND ") }
                )
            }
        }
    }

    fn deceased(&self) -> String {
        if self.tables.has("death") {
            "SELECT person_id FROM death WHERE person_id IS NOT NULL".into()
        } else {
            self.no_persons()
        }
    }

    /// Any of the ages (`AGE` and `AGE_AT_CDR` exclude the deceased).
    fn ages(&mut self, ages: &[(AgeAt, Cmp<f64>)]) -> String {
        self.needs.insert(Support::Births);
        let mut join = String::new();
        let tests: Vec<String> = ages
            .iter()
            .map(|(at, cmp)| {
                let on = match at {
                    AgeAt::Today => self.dialect.today().to_owned(),
                    AgeAt::Cdr => {
                        self.needs.insert(Support::Cdr);
                        "(SELECT cdr_date FROM cdr)".to_owned()
                    }
                    AgeAt::Consent => {
                        self.needs.insert(Support::Consent);
                        if join.is_empty() {
                            join = " LEFT JOIN consent c ON c.person_id = b.person_id".into();
                        }
                        "c.consent_date".to_owned()
                    }
                };
                let age = self.age("b.birth_date", &on);
                let living = if *at == AgeAt::Consent {
                    String::new()
                } else {
                    format!(" AND b.person_id NOT IN ({})", self.deceased())
                };
                format!("({}{living})", self.compare(&age, cmp))
            })
            .collect();
        format!("SELECT b.person_id FROM births b{join} WHERE {}", tests.join(" OR "))
    }

    /// Completed years from `birth` to `on` (NULL when either is).
    pub(super) fn age(&self, birth: &str, on: &str) -> String {
        let part = |p: &str, d: &str| format!("EXTRACT({p} FROM {d})");
        format!(
            "({} - {} - CASE WHEN {} < {} OR ({} = {} AND {} < {}) THEN 1 ELSE 0 END)",
            part("YEAR", on),
            part("YEAR", birth),
            part("MONTH", on),
            part("MONTH", birth),
            part("MONTH", on),
            part("MONTH", birth),
            part("DAY", on),
            part("DAY", birth)
        )
    }

    /// The persons of a `cb_search_person` flag, as the engine's index sets them.
    pub(super) fn flag(&self, f: Flag) -> String {
        let rows = |table: &str, condition: &str| {
            self.tables
                .has(table)
                .then(|| format!("SELECT person_id FROM {table} WHERE person_id IS NOT NULL AND {condition}"))
        };
        let typed = |table: &str, column: &str, excluded: i32| {
            if self.tables.has_column(table, column) {
                rows(table, &format!("{column} <> {excluded}"))
            } else {
                None
            }
        };
        let sourced = |table: &str, column: &str, ids: &[i32]| {
            if self.tables.has_column(table, column) { rows(table, &among(column, ids)) } else { None }
        };
        let selects: Vec<Option<String>> = match f {
            Flag::Ehr => vec![
                rows("condition_occurrence", "TRUE"),
                rows("procedure_occurrence", "TRUE"),
                rows("drug_exposure", "TRUE"),
                rows("device_exposure", "TRUE"),
                rows("visit_occurrence", "TRUE"),
                typed("measurement", "measurement_type_concept_id", PHYSICAL_EXAM),
                typed("observation", "observation_type_concept_id", SURVEY_TYPE),
            ],
            Flag::PhysicalMeasurement => {
                let ids = self.vocab_ids(|c| {
                    c.vocabulary == "PPI" && c.class == "Clinical Observation" && c.domain == "Measurement"
                });
                vec![sourced("measurement", "measurement_source_concept_id", &ids)]
            }
            Flag::Survey => {
                let modules = self.vocab_ids(|c| c.vocabulary == "PPI" && c.class == "Module");
                let mut ids: Vec<i32> =
                    modules.iter().flat_map(|&m| self.vocab.descendants(m).iter().copied()).collect();
                ids.sort_unstable();
                ids.dedup();
                vec![sourced("observation", "observation_source_concept_id", &ids)]
            }
            Flag::Fitbit => vec![rows("activity_summary", "TRUE"), rows("heart_rate_summary", "TRUE")],
            Flag::FitbitActivity => vec![rows("activity_summary", "TRUE")],
            Flag::FitbitHeartRateSummary => vec![rows("heart_rate_summary", "TRUE")],
            Flag::Absent => vec![],
        };
        self.union(selects.into_iter().flatten().collect())
    }

    /// The ids of the vocabulary's concepts that `keep` accepts, sorted.
    fn vocab_ids(&self, keep: impl Fn(&crate::vocab::Concept) -> bool) -> Vec<i32> {
        let mut ids: Vec<i32> = self.vocab.concepts().iter().filter(|c| keep(c)).map(|c| c.id).collect();
        ids.sort_unstable();
        ids
    }

    /// The definition of a support table the query needs.
    pub(super) fn support(&self, s: Support) -> String {
        match s {
            Support::Births => {
                // `date(birth_datetime)`, else year-month-day with a missing or impossible
                // month or day taken as 1 (the engine's `Birth`).
                let month = self.column("p", "person", "month_of_birth", SqlType::Integer);
                let day = self.column("p", "person", "day_of_birth", SqlType::Integer);
                let datetime =
                    self.dialect.to_date(&self.column("p", "person", "birth_datetime", SqlType::Date));
                let first = self.dialect.make_date("year_of_birth", "m", "1");
                let valid_day = format!(
                    "CASE WHEN d BETWEEN 1 AND {} THEN d ELSE 1 END",
                    self.dialect.days_in_month(&first)
                );
                let parts = self.dialect.make_date("year_of_birth", "m", &valid_day);
                format!(
                    "births AS (SELECT person_id, COALESCE(from_datetime, {parts}) AS birth_date FROM (SELECT p.person_id, p.year_of_birth, {datetime} AS from_datetime, CASE WHEN {month} BETWEEN 1 AND 12 THEN {month} ELSE 1 END AS m, {day} AS d FROM person p WHERE p.person_id IS NOT NULL) q)"
                )
            }
            Support::Cdr => {
                let dates: Vec<String> = SEARCH_TABLES
                    .iter()
                    .filter(|t| self.tables.has(t.table()))
                    .map(|t| {
                        let spec = t.columns();
                        let date =
                            self.dialect.to_date(&self.column("e", spec.table, spec.date, SqlType::Date));
                        format!(
                            "SELECT {date} AS d FROM {} e WHERE e.person_id IN {}",
                            spec.table,
                            self.known()
                        )
                    })
                    .collect();
                let dates = if dates.is_empty() {
                    self.dialect.no_rows(&self.dialect.nulls(&[("d", SqlType::Date)]))
                } else {
                    dates.join(" UNION ALL ")
                };
                format!("cdr AS (SELECT MAX(d) AS cdr_date FROM ({dates}) x)")
            }
            Support::Consent => {
                let table = "observation";
                let source = "observation_source_concept_id";
                if !(self.tables.has_column(table, source)
                    && self.tables.has_column(table, "observation_date"))
                {
                    let columns = [("person_id", SqlType::BigInt), ("consent_date", SqlType::Date)];
                    return format!("consent AS ({})", self.dialect.no_rows(&self.dialect.nulls(&columns)));
                }
                let first = |ids: &[i32]| format!("MIN(CASE WHEN {} THEN d END)", among(source, ids));
                format!(
                    "consent AS (SELECT person_id, COALESCE({}, {}, {}) AS consent_date FROM (SELECT person_id, {source}, {} AS d FROM observation WHERE person_id IN {} AND observation_date IS NOT NULL) o GROUP BY person_id)",
                    first(&[1_585_482]),
                    first(&[1_585_249]),
                    first(self.vocab.descendants(1_586_134)),
                    self.dialect.to_date("observation_date"),
                    self.known()
                )
            }
        }
    }
}

/// `expr <operator> operands`, the operands written by `literal`.
fn compare_with<T: Copy>(expr: &str, cmp: &Cmp<T>, literal: impl Fn(T) -> String) -> String {
    match cmp {
        Cmp::Eq(v) => format!("{expr} = {}", literal(*v)),
        Cmp::Ne(v) => format!("{expr} <> {}", literal(*v)),
        Cmp::Lt(v) => format!("{expr} < {}", literal(*v)),
        Cmp::Gt(v) => format!("{expr} > {}", literal(*v)),
        Cmp::Le(v) => format!("{expr} <= {}", literal(*v)),
        Cmp::Ge(v) => format!("{expr} >= {}", literal(*v)),
        Cmp::In(vs) => {
            let list: Vec<String> = vs.iter().map(|v| literal(*v)).collect();
            format!("{expr} IN ({})", list.join(", "))
        }
        Cmp::Between(lo, hi) => format!("{expr} BETWEEN {} AND {}", literal(*lo), literal(*hi)),
    }
}
