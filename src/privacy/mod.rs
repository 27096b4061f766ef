//! The only door out for a count: every number that reaches JavaScript, the DOM, a chart or an
//! export leaves as a [`Disclosed`] value made by a [`Policy`] (docs/privacy.md).
//!
//! A `Disclosed` can only be made by [`Policy::disclose`] from a [`Tally`], a raw count whose
//! number is readable only natively; the raw input is not kept. One read back from JSON (a
//! result JavaScript hands back, e.g. to chart it) is checked to have a form its policy makes.

use serde::{Deserialize, Serialize};

mod rank;
mod table;
mod tally;
#[cfg(test)]
mod tests;

pub use table::{DisclosedRow, DisclosedTable, PercentOf, TallyRow, TallyTable};
#[cfg(feature = "engine")]
pub(crate) use tally::PersonKeys;
pub use tally::Tally;
use tally::mix;

/// How raw participant counts are turned into shown numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum Policy {
    /// The All of Us Data and Statistics Dissemination Policy as the Data Browser applies it:
    /// 0 shows as 0, 1–20 as 20 ("≤ 20"), anything above rounded up to the next multiple of 20.
    #[default]
    Aou,
    /// Primary suppression: 1–20 are withheld (no number, label "≤ 20"); 0 and counts above 20
    /// are shown exactly.
    Suppress,
    /// Cell-key perturbation for live, ad-hoc queries: noise drawn from the cell's key (so the
    /// same persons always get the same noise, whatever the query), then the `aou` rounding.
    Perturbed,
}

/// The largest noise `perturbed` adds or subtracts.
const PERTURBATION: i64 = 10;

/// Rounding step and small-count floor of the All of Us policy; also the suppression threshold.
pub(crate) const AOU_STEP: u64 = 20;

impl Policy {
    /// Parses a policy name as JavaScript and the command line give it.
    pub fn from_name(name: &str) -> Result<Policy, UnknownPolicy> {
        match name {
            "aou" => Ok(Policy::Aou),
            "suppress" => Ok(Policy::Suppress),
            "perturbed" => Ok(Policy::Perturbed),
            _ => Err(UnknownPolicy(name.to_owned())),
        }
    }

    /// The policy's name, as `from_name` reads it.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Aou => "aou",
            Policy::Suppress => "suppress",
            Policy::Perturbed => "perturbed",
        }
    }

    /// The disclosed form of a tally under this policy.
    pub fn disclose(self, tally: Tally) -> Disclosed {
        let raw = tally.count;
        let small = || format!("≤ {AOU_STEP}");
        let (value, label) = match (self, raw) {
            (_, 0) => (Some(0), "0".to_owned()),
            (Policy::Aou, _) => round_aou(raw),
            (Policy::Perturbed, _) => round_aou(raw.saturating_add_signed(noise(tally.key)).max(1)),
            (Policy::Suppress, 1..=AOU_STEP) => (None, small()),
            (Policy::Suppress, _) => (Some(raw), raw.to_string()),
        };
        Disclosed { value, label, policy: self }
    }
}

/// The `aou` rule for a count above 0: 1–20 as "≤ 20", else up to the next multiple of 20.
fn round_aou(n: u64) -> (Option<u64>, String) {
    if n <= AOU_STEP {
        return (Some(AOU_STEP), format!("≤ {AOU_STEP}"));
    }
    let value = n.div_ceil(AOU_STEP).checked_mul(AOU_STEP).unwrap_or(u64::MAX / AOU_STEP * AOU_STEP);
    (Some(value), value.to_string())
}

/// The perturbation of a cell with key `key`: uniform in ±[`PERTURBATION`], a function of the
/// key alone.
fn noise(key: u64) -> i64 {
    let span = 2 * PERTURBATION as u64 + 1;
    (mix(key ^ 0x5bd1_e995_u64) % span) as i64 - PERTURBATION
}

/// A policy name that is not one of `aou`, `suppress`, `perturbed`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown privacy policy {0:?}; use \"aou\" (the All of Us rounding), \"suppress\" or \"perturbed\"")]
pub struct UnknownPolicy(String);

/// A count as it may be shown: the number (none when withheld), its label and the policy that
/// made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "DisclosedForm")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Disclosed {
    #[cfg_attr(target_arch = "wasm32", tsify(type = "number | null"))]
    value: Option<u64>,
    label: String,
    policy: Policy,
}

/// A [`Disclosed`] as read from JSON, before its form is checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DisclosedForm {
    value: Option<u64>,
    label: String,
    policy: Policy,
}

impl TryFrom<DisclosedForm> for Disclosed {
    type Error = String;

    /// Accepts only what `policy` could have made: `aou` and `perturbed` show 0 or a multiple of
    /// 20 (20 may read "≤ 20"); `suppress` shows 0 or more than 20, or withholds ("≤ 20",
    /// "suppressed"). The label always agrees with the value.
    fn try_from(f: DisclosedForm) -> Result<Disclosed, String> {
        let small = format!("≤ {AOU_STEP}");
        let labelled = |v: u64| f.label == v.to_string();
        let ok = match (f.policy, f.value) {
            (_, Some(0)) => labelled(0),
            (Policy::Aou | Policy::Perturbed, Some(v)) => {
                v % AOU_STEP == 0 && (labelled(v) || (v == AOU_STEP && f.label == small))
            }
            (Policy::Aou | Policy::Perturbed, None) => false,
            (Policy::Suppress, Some(v)) => v > AOU_STEP && labelled(v),
            (Policy::Suppress, None) => f.label == small || f.label == "suppressed",
        };
        if !ok {
            return Err(format!(
                "{{value: {:?}, label: {:?}}} is not a count the {} policy discloses; pass results \
                 exactly as cohortlens returned them",
                f.value,
                f.label,
                f.policy.name()
            ));
        }
        Ok(Disclosed { value: f.value, label: f.label, policy: f.policy })
    }
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
