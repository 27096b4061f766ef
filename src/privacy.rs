//! The only door out for a count: every number that reaches JavaScript, the DOM, a chart or an
//! export leaves as a [`Disclosed`] value made by a [`Policy`] (DESIGN.md, "Privacy").
//!
//! A `Disclosed` can only be made by [`Policy::disclose`]; its raw input is not kept.

use serde::Serialize;

/// How raw participant counts are turned into shown numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// The All of Us Data and Statistics Dissemination Policy as the Data Browser applies it:
    /// 0 shows as 0, 1–20 as 20 ("≤ 20"), anything above rounded up to the next multiple of 20.
    #[default]
    Aou,
    /// Primary suppression: 1–20 are withheld (no number, label "≤ 20"); 0 and counts above 20
    /// are shown exactly.
    Suppress,
}

/// Rounding step and small-count floor of the All of Us policy; also the suppression threshold.
const AOU_STEP: u64 = 20;

impl Policy {
    /// Parses a policy name as JavaScript and the command line give it.
    pub fn from_name(name: &str) -> Result<Policy, UnknownPolicy> {
        match name {
            "aou" => Ok(Policy::Aou),
            "suppress" => Ok(Policy::Suppress),
            _ => Err(UnknownPolicy(name.to_owned())),
        }
    }

    /// The disclosed form of a raw count under this policy.
    pub fn disclose(self, raw: u64) -> Disclosed {
        let small = format!("≤ {AOU_STEP}");
        let (value, label) = match (self, raw) {
            (_, 0) => (Some(0), "0".to_owned()),
            (Policy::Aou, 1..=AOU_STEP) => (Some(AOU_STEP), small),
            (Policy::Aou, _) => {
                let value =
                    raw.div_ceil(AOU_STEP).checked_mul(AOU_STEP).unwrap_or(u64::MAX / AOU_STEP * AOU_STEP);
                (Some(value), value.to_string())
            }
            (Policy::Suppress, 1..=AOU_STEP) => (None, small),
            (Policy::Suppress, _) => (Some(raw), raw.to_string()),
        };
        Disclosed { value, label, policy: self }
    }
}

/// A policy name that is not one of `aou`, `suppress`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown privacy policy {0:?}; use \"aou\" (the All of Us rounding) or \"suppress\"")]
pub struct UnknownPolicy(String);

/// A count as it may be shown: the number (none when withheld), its label and the policy that
/// made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Disclosed {
    value: Option<u64>,
    label: String,
    policy: Policy,
}

impl Disclosed {
    /// The number shown (already rounded), or `None` when the policy withholds it.
    pub fn value(&self) -> Option<u64> {
        self.value
    }

    /// The text shown, e.g. `"≤ 20"` or `"140"`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The policy that made it.
    pub fn policy(&self) -> Policy {
        self.policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(raw: u64) -> (u64, String) {
        let d = Policy::Aou.disclose(raw);
        (d.value().unwrap(), d.label().to_owned())
    }

    #[test]
    fn zero_is_shown_as_zero() {
        assert_eq!(shown(0), (0, "0".to_owned()));
    }

    #[test]
    fn one_to_twenty_show_as_at_most_twenty() {
        for raw in 1..=20 {
            assert_eq!(shown(raw), (20, "≤ 20".to_owned()), "raw {raw}");
        }
    }

    #[test]
    fn above_twenty_rounds_up_to_the_next_multiple_of_twenty() {
        assert_eq!(shown(21), (40, "40".to_owned()));
        assert_eq!(shown(39), (40, "40".to_owned()));
        assert_eq!(shown(40), (40, "40".to_owned()));
        assert_eq!(shown(41), (60, "60".to_owned()));
        assert_eq!(shown(99_981), (100_000, "100000".to_owned()));
        for raw in 21..2_000 {
            let (value, _) = shown(raw);
            assert!(value >= raw && value < raw + 20 && value % 20 == 0, "raw {raw} → {value}");
        }
        assert_eq!(shown(u64::MAX).0 % 20, 0);
    }

    #[test]
    fn suppress_withholds_one_to_twenty_and_shows_the_rest_exactly() {
        let d = Policy::Suppress.disclose(0);
        assert_eq!((d.value(), d.label()), (Some(0), "0"));
        for raw in 1..=20 {
            let d = Policy::Suppress.disclose(raw);
            assert_eq!((d.value(), d.label()), (None, "≤ 20"), "raw {raw}");
        }
        for raw in [21, 22, 39, 12_345] {
            let d = Policy::Suppress.disclose(raw);
            assert_eq!((d.value(), d.label()), (Some(raw), raw.to_string().as_str()));
        }
    }

    #[test]
    fn policies_parse_by_name() {
        assert_eq!(Policy::from_name("aou"), Ok(Policy::Aou));
        assert_eq!(Policy::from_name("suppress"), Ok(Policy::Suppress));
        let e = Policy::from_name("exact").unwrap_err().to_string();
        assert!(e.contains("\"exact\"") && e.contains("aou"), "{e}");
    }

    #[test]
    fn serializes_value_label_and_policy_only() {
        let json = serde_json::to_value(Policy::Aou.disclose(7)).unwrap();
        assert_eq!(json, serde_json::json!({"value": 20, "label": "≤ 20", "policy": "aou"}));
    }
}
