//! The Cohort Builder's domains (the `domain` of a search parameter, the domain of a concept
//! search or of a top-concepts statistic) and the CDM event tables they read.

/// An event table: where its person, concepts, date and visit are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventTable {
    /// `condition_occurrence`.
    Condition,
    /// `procedure_occurrence`.
    Procedure,
    /// `drug_exposure`.
    Drug,
    /// `measurement`.
    Measurement,
    /// `observation`.
    Observation,
    /// `device_exposure`.
    Device,
    /// `visit_occurrence`.
    Visit,
    /// `death`.
    Death,
}

/// The columns of an event table the engine reads for every row.
#[derive(Clone, Copy, Debug)]
pub struct EventColumns {
    /// The table name.
    pub table: &'static str,
    /// The standard concept column.
    pub concept: &'static str,
    /// The source concept column.
    pub source: &'static str,
    /// The event date column.
    pub date: &'static str,
    /// The visit column, when the table has one.
    pub visit: Option<&'static str>,
}

impl EventTable {
    /// Every event table, in index order.
    pub const ALL: [EventTable; 8] = [
        EventTable::Condition,
        EventTable::Procedure,
        EventTable::Drug,
        EventTable::Measurement,
        EventTable::Observation,
        EventTable::Device,
        EventTable::Visit,
        EventTable::Death,
    ];

    /// The table's name, e.g. `condition_occurrence`.
    pub fn table(self) -> &'static str {
        self.columns().table
    }

    /// The event table of that name.
    pub fn of_table(name: &str) -> Option<EventTable> {
        EventTable::ALL.into_iter().find(|t| t.table() == name)
    }

    /// Where the table keeps its concepts, date and visit.
    pub fn columns(self) -> EventColumns {
        let s = |table, concept, source, date, visit| EventColumns { table, concept, source, date, visit };
        let visit = Some("visit_occurrence_id");
        match self {
            EventTable::Condition => s(
                "condition_occurrence",
                "condition_concept_id",
                "condition_source_concept_id",
                "condition_start_date",
                visit,
            ),
            EventTable::Procedure => s(
                "procedure_occurrence",
                "procedure_concept_id",
                "procedure_source_concept_id",
                "procedure_date",
                visit,
            ),
            EventTable::Drug => s(
                "drug_exposure",
                "drug_concept_id",
                "drug_source_concept_id",
                "drug_exposure_start_date",
                visit,
            ),
            EventTable::Measurement => s(
                "measurement",
                "measurement_concept_id",
                "measurement_source_concept_id",
                "measurement_date",
                visit,
            ),
            EventTable::Observation => s(
                "observation",
                "observation_concept_id",
                "observation_source_concept_id",
                "observation_date",
                visit,
            ),
            EventTable::Device => s(
                "device_exposure",
                "device_concept_id",
                "device_source_concept_id",
                "device_exposure_start_date",
                visit,
            ),
            EventTable::Visit => s(
                "visit_occurrence",
                "visit_concept_id",
                "visit_source_concept_id",
                "visit_start_date",
                visit,
            ),
            EventTable::Death => {
                s("death", "cause_concept_id", "cause_source_concept_id", "death_date", None)
            }
        }
    }
}

/// A Cohort Builder domain, as the Workbench spells it (`CONDITION`, `PHYSICAL_MEASUREMENT`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// `CONDITION`.
    Condition,
    /// `PROCEDURE`.
    Procedure,
    /// `DRUG`.
    Drug,
    /// `MEASUREMENT` (not PPI).
    Measurement,
    /// `OBSERVATION` (not PPI).
    Observation,
    /// `DEVICE`.
    Device,
    /// `VISIT`.
    Visit,
    /// `DEATH`.
    Death,
    /// `PHYSICAL_MEASUREMENT`: PPI measurements.
    PhysicalMeasurement,
    /// `SURVEY`: PPI observations.
    Survey,
    /// `PERSON`: demographics.
    Person,
    /// `FITBIT` (and `FITBIT_*`).
    Fitbit,
}

impl Domain {
    /// Every domain, in the order error messages list them.
    pub const ALL: [Domain; 12] = [
        Domain::Person,
        Domain::Condition,
        Domain::Procedure,
        Domain::Drug,
        Domain::Measurement,
        Domain::Observation,
        Domain::Visit,
        Domain::Device,
        Domain::Death,
        Domain::Survey,
        Domain::PhysicalMeasurement,
        Domain::Fitbit,
    ];

    /// The domain a Workbench domain string names (`FITBIT_*` is Fitbit).
    pub fn parse(s: &str) -> Option<Domain> {
        if s.starts_with("FITBIT_") {
            return Some(Domain::Fitbit);
        }
        Domain::ALL.into_iter().find(|d| d.name() == s)
    }

    /// Every domain's name, for messages: `PERSON, CONDITION, … or FITBIT`.
    pub fn list() -> String {
        let names: Vec<&str> = Domain::ALL.iter().map(|d| d.name()).collect();
        let (last, rest) = names.split_last().unwrap_or((&"", &[]));
        format!("{} or {last}", rest.join(", "))
    }

    /// The Workbench's name, e.g. `PHYSICAL_MEASUREMENT`.
    pub fn name(self) -> &'static str {
        match self {
            Domain::Condition => "CONDITION",
            Domain::Procedure => "PROCEDURE",
            Domain::Drug => "DRUG",
            Domain::Measurement => "MEASUREMENT",
            Domain::Observation => "OBSERVATION",
            Domain::Device => "DEVICE",
            Domain::Visit => "VISIT",
            Domain::Death => "DEATH",
            Domain::PhysicalMeasurement => "PHYSICAL_MEASUREMENT",
            Domain::Survey => "SURVEY",
            Domain::Person => "PERSON",
            Domain::Fitbit => "FITBIT",
        }
    }

    /// The event table whose rows the domain's criteria select (physical measurements are
    /// `measurement` rows, survey answers `observation` rows); none for person-level domains.
    pub fn event_table(self) -> Option<EventTable> {
        Some(match self {
            Domain::Condition => EventTable::Condition,
            Domain::Procedure => EventTable::Procedure,
            Domain::Drug => EventTable::Drug,
            Domain::Measurement | Domain::PhysicalMeasurement => EventTable::Measurement,
            Domain::Observation | Domain::Survey => EventTable::Observation,
            Domain::Device => EventTable::Device,
            Domain::Visit => EventTable::Visit,
            Domain::Death => EventTable::Death,
            Domain::Person | Domain::Fitbit => return None,
        })
    }

    /// The concept `domain_id`s of the domain's concepts (for concept search).
    pub fn concept_domains(self) -> &'static [&'static str] {
        match self {
            Domain::Condition => &["Condition"],
            Domain::Procedure => &["Procedure"],
            Domain::Drug => &["Drug"],
            Domain::Measurement | Domain::PhysicalMeasurement => &["Measurement"],
            Domain::Observation | Domain::Survey => &["Observation"],
            Domain::Device => &["Device"],
            Domain::Visit => &["Visit"],
            Domain::Death => &["Condition", "Observation"],
            Domain::Person => &["Gender", "Race", "Ethnicity"],
            Domain::Fitbit => &[],
        }
    }

    /// Whether the domain's concepts must be PPI (`Some(true)`), must not be (`Some(false)`),
    /// or may be either.
    pub fn ppi(self) -> Option<bool> {
        match self {
            Domain::Measurement | Domain::Observation => Some(false),
            Domain::PhysicalMeasurement | Domain::Survey => Some(true),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_parse_by_their_workbench_names() {
        for d in Domain::ALL {
            assert_eq!(Domain::parse(d.name()), Some(d));
        }
        assert_eq!(Domain::parse("FITBIT_HEART_RATE_SUMMARY"), Some(Domain::Fitbit));
        assert_eq!(Domain::parse("condition"), None);
        assert_eq!(Domain::PhysicalMeasurement.event_table(), Some(EventTable::Measurement));
        assert_eq!(
            Domain::list(),
            "PERSON, CONDITION, PROCEDURE, DRUG, MEASUREMENT, OBSERVATION, VISIT, DEVICE, DEATH, SURVEY, \
             PHYSICAL_MEASUREMENT or FITBIT"
        );
    }

    #[test]
    fn event_tables_are_cdm_tables_with_their_columns() {
        for t in EventTable::ALL {
            let spec = super::super::table(t.table()).expect("a CDM table");
            let c = t.columns();
            for col in [c.concept, c.source, c.date].into_iter().chain(c.visit) {
                assert!(spec.column(col).is_some(), "{}.{col}", c.table);
            }
            assert_eq!(EventTable::of_table(t.table()), Some(t));
        }
    }
}
