//! The Location tab (`run-achilles-queries.sh` analysis 3108): participants with a concept by
//! the state of their PII State answer; the same states break a survey's answers down (3118).

use std::collections::BTreeMap;

use super::EhrDomain;
use super::ehr::EhrTable;
use crate::cdm::EventTable;
use crate::privacy::TallyRow;
use crate::privacy::TallyTable;
use crate::stats::{StatError, Stats, distinct};

/// The PII State question (`observation_source_concept_id`).
const PII_STATE: i32 = 1_585_249;

/// State codes and names (`AchillesAnalysisService.setLocationStratumNameMap`).
const STATES: [(&str, &str); 59] = [
    ("us-ak", "Alaska"),
    ("us-al", "Alabama"),
    ("us-ar", "Arkansas"),
    ("us-as", "American Samoa"),
    ("us-az", "Arizona"),
    ("us-ca", "California"),
    ("us-co", "Colorado"),
    ("us-ct", "Connecticut"),
    ("us-dc", "District of Columbia"),
    ("us-de", "Delaware"),
    ("us-fl", "Florida"),
    ("us-fm", "Federated States of Micronesia"),
    ("us-ga", "Georgia"),
    ("us-gu", "Guam"),
    ("us-hi", "Hawaii"),
    ("us-ia", "Iowa"),
    ("us-id", "Idaho"),
    ("us-il", "Illinois"),
    ("us-in", "Indiana"),
    ("us-ks", "Kansas"),
    ("us-ky", "Kentucky"),
    ("us-la", "Louisiana"),
    ("us-ma", "Massachusetts"),
    ("us-md", "Maryland"),
    ("us-me", "Maine"),
    ("us-mh", "Marshall Islands"),
    ("us-mi", "Michigan"),
    ("us-mn", "Minnesota"),
    ("us-mo", "Missouri"),
    ("us-mp", "Northern Mariana Islands"),
    ("us-ms", "Mississippi"),
    ("us-mt", "Montana"),
    ("us-nc", "North Carolina"),
    ("us-nd", "North Dakota"),
    ("us-ne", "Nebraska"),
    ("us-nh", "New Hampshire"),
    ("us-nj", "New Jersey"),
    ("us-nm", "New Mexico"),
    ("us-nv", "Nevada"),
    ("us-ny", "New York"),
    ("us-oh", "Ohio"),
    ("us-ok", "Oklahoma"),
    ("us-or", "Oregon"),
    ("us-pa", "Pennsylvania"),
    ("us-pr", "Puerto Rico"),
    ("us-pw", "Palau"),
    ("us-ri", "Rhode Island"),
    ("us-sc", "South Carolina"),
    ("us-sd", "South Dakota"),
    ("us-tn", "Tennessee"),
    ("us-tx", "Texas"),
    ("us-ut", "Utah"),
    ("us-va", "Virginia"),
    ("us-vi", "Virgin Islands"),
    ("us-vt", "Vermont"),
    ("us-wa", "Washington"),
    ("us-wi", "Wisconsin"),
    ("us-wv", "West Virginia"),
    ("us-wy", "Wyoming"),
];

impl Stats<'_> {
    /// Each person's locations: `us-` and the lower-cased text after "PII State: " in the name
    /// of their answers to the PII State question (the script's `state_information`).
    pub(super) fn db_locations(&self) -> BTreeMap<u32, Vec<String>> {
        let obs = self.index.events(EventTable::Observation);
        let mut out: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        obs.by_source.rows(PII_STATE).each(|r| {
            let answer = obs.value_source.get(r).copied().and_then(|a| self.vocab.concept(a));
            if let Some(state) = answer.and_then(|c| c.name.split_once("PII State: ")).map(|(_, s)| s) {
                out.entry(obs.person[r]).or_default().push(format!("us-{state}").to_lowercase());
            }
        });
        out
    }

    /// Persons by the name of each state they answered ([`Self::db_locations`]) (an unknown code named by itself;
    /// a person in every state answered), by name: the script's join on `state_information`
    /// with `AchillesAnalysisService.setLocationStratumNameMap`'s names.
    pub(super) fn db_by_state(
        locations: &BTreeMap<u32, Vec<String>>,
        persons: &[u32],
    ) -> BTreeMap<String, Vec<u32>> {
        let mut by_state: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for &p in persons {
            for code in locations.get(&p).into_iter().flatten() {
                let name = STATES.iter().find(|(c, _)| c == code).map_or(code.as_str(), |(_, n)| n);
                by_state.entry(name.to_owned()).or_default().push(p);
            }
        }
        by_state.into_iter().map(|(state, group)| (state, distinct(group))).collect()
    }

    pub(super) fn db_location(&self, domain: EhrDomain, concept: i32) -> Result<TallyTable, StatError> {
        let t = EhrTable::new(self.vocab, self.index, domain);
        let rows = self.db_concept_rows(&t, concept)?;
        let persons =
            distinct(rows.iter().map(|&r| t.person(r)).filter(|&p| self.member.contains(p)).collect());
        let by_state = Self::db_by_state(&self.db_locations(), &persons);
        let out = by_state
            .into_iter()
            .map(|(state, group)| TallyRow::new(vec![state], self.tally(group)))
            .collect();
        Ok(self.table("data_browser_location", "Location".to_owned(), &["State"], out, self.tally(persons)))
    }
}
