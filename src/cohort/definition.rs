//! The cohort definition as the All of Us Cohort Builder sends it (docs/cohort-semantics.md,
//! "Shape"): camelCase JSON, unknown fields ignored, missing fields defaulted, `null` taken as
//! missing. Enumerations, concept ids and operands are kept as given so that validation can
//! report every bad value with its JSON path.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::ValidationError;

/// `{includes, excludes, dataFilters, restrictToObservationPeriod}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct CohortDefinition {
    /// Groups every cohort member must be in.
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub includes: Vec<SearchGroup>,
    /// Groups whose members are removed (or, with no include group, required).
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub excludes: Vec<SearchGroup>,
    /// `HAS_EHR_DATA`, `HAS_PHYSICAL_MEASUREMENT_DATA`.
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub data_filters: Vec<String>,
    /// Keep only events inside one of the person's observation periods.
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub restrict_to_observation_period: bool,
}

/// `{id, items, temporal, mention, time, timeValue}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct SearchGroup {
    /// Label of the group's count (string or number).
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "string | number | null"))]
    pub id: Value,
    /// Its items (OR, or related in time when `temporal`).
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub items: Vec<SearchGroupItem>,
    /// Whether items of temporal group 0 are related to those of group 1.
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub temporal: bool,
    /// `ANY_MENTION`, `FIRST_MENTION` or `LAST_MENTION`.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub mention: Option<String>,
    /// `DURING_SAME_ENCOUNTER_AS`, `X_DAYS_BEFORE`, `X_DAYS_AFTER` or `WITHIN_X_DAYS_OF`.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub time: Option<String>,
    /// Days for the day-based times (default 0).
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "string | number | null"))]
    pub time_value: Value,
}

/// `{id, type, searchParameters, modifiers, temporalGroup}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct SearchGroupItem {
    /// Label of the item's count (string or number).
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "string | number | null"))]
    pub id: Value,
    /// The item's domain.
    #[serde(rename = "type")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub kind: Option<String>,
    /// Its parameters (OR).
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub search_parameters: Vec<SearchParameter>,
    /// Filters on its events.
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub modifiers: Vec<Modifier>,
    /// 0 or 1 in a temporal group (default 0).
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "string | number | null"))]
    pub temporal_group: Value,
}

/// `{domain, type, subtype, group, conceptId, ancestorData, standard, attributes}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct SearchParameter {
    /// Domain (default: the item's `type`).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub domain: Option<String>,
    /// Vocabulary or person criterion type (`SNOMED`, `AGE`, `GENDER`, …).
    #[serde(rename = "type")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub kind: Option<String>,
    /// Physical measurement or survey subtype (`BP`, `QUESTION`, …).
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub subtype: Option<String>,
    /// Include descendants.
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub group: bool,
    /// The concept.
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "string | number | null"))]
    pub concept_id: Value,
    /// Include descendants through `concept_ancestor`.
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub ancestor_data: bool,
    /// Standard (default) or source concept column.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub standard: Option<bool>,
    /// Value conditions.
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub attributes: Vec<Attribute>,
}

/// `{name, operator, operands, conceptId}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Attribute {
    /// `NUM`, `CAT`, `AGE`, `AGE_AT_CONSENT`, `AGE_AT_CDR` or `ANY`.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub name: Option<String>,
    /// Comparison operator.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub operator: Option<String>,
    /// Operands (strings).
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "Array<string | number>"))]
    pub operands: Vec<Value>,
    /// The concept a blood-pressure attribute applies to (903118 or 903115).
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "string | number | null"))]
    pub concept_id: Value,
}

/// `{name, operator, operands}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", default)]
pub struct Modifier {
    /// `AGE_AT_EVENT`, `EVENT_DATE`, `NUM_OF_OCCURRENCES` or `ENCOUNTERS`.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub name: Option<String>,
    /// Comparison operator.
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub operator: Option<String>,
    /// Operands (strings).
    #[serde(deserialize_with = "or_default")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional, type = "Array<string | number>"))]
    pub operands: Vec<Value>,
}

/// `null` as the field's default.
fn or_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl CohortDefinition {
    /// Parses a definition from JSON text; a shape error names its JSON path.
    pub fn from_json(text: &str) -> Result<CohortDefinition, ValidationError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ValidationError {
            path: "definition".into(),
            message: format!("{e}; the definition is not valid JSON: check its brackets, quotes and commas"),
        })?;
        Self::from_value(value)
    }

    /// Reads a definition from a parsed JSON value; a shape error names its JSON path.
    pub fn from_value(value: Value) -> Result<CohortDefinition, ValidationError> {
        if !value.is_object() {
            let message = format!(
                "invalid type: {}, expected an object; send {{\"includes\": [...], \"excludes\": [...], \"dataFilters\": [...]}}",
                kind(&value)
            );
            return Err(ValidationError { path: "definition".into(), message });
        }
        serde_path_to_error::deserialize(value).map_err(shape_error)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn shape_error(e: serde_path_to_error::Error<serde_json::Error>) -> ValidationError {
    let path = e.path().to_string();
    let path = if path == "." { "definition".to_owned() } else { path };
    let message = format!(
        "{}; give it the type docs/cohort-semantics.md shows (lists as arrays, flags as true or false)",
        e.into_inner()
    );
    ValidationError { path, message }
}
