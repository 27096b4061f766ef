//! The Location tab (`run-achilles-queries.sh` analysis 3108): participants with a concept by
//! the state of their PII State answer; the same states break a survey's answers down (3118).

use std::collections::BTreeMap;

use super::EhrDomain;
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

/// The states each person answered: names, and each person's places in them.
pub(crate) struct Locations {
    names: Vec<String>,
    of_person: Vec<Vec<usize>>,
}

impl Stats<'_> {
    /// Each person's states ([`Locations`]): `us-` and the lower-cased text after "PII State: "
    /// in the name of their answers to the PII State question (the script's
    /// `state_information`), named by `AchillesAnalysisService.setLocationStratumNameMap` (an
    /// unknown code by itself). Built once per scope.
    fn db_locations(&self) -> &Locations {
        self.locations.get_or_init(|| {
            let obs = self.index.events(EventTable::Observation);
            let mut names: Vec<String> = Vec::new();
            let mut of_person = vec![Vec::new(); self.index.persons.len()];
            obs.by_source.rows(PII_STATE).each(|r| {
                let answer = obs.value_source.get(r).copied().and_then(|a| self.vocab.concept(a));
                let Some(state) = answer.and_then(|c| c.name.split_once("PII State: ")).map(|(_, s)| s)
                else {
                    return;
                };
                let code = format!("us-{state}").to_lowercase();
                let name = STATES.iter().find(|(c, _)| *c == code).map_or(code, |(_, n)| (*n).to_owned());
                let at = names.iter().position(|n| *n == name).unwrap_or_else(|| {
                    names.push(name);
                    names.len() - 1
                });
                if let Some(states) = of_person.get_mut(obs.person[r] as usize) {
                    states.push(at);
                }
            });
            Locations { names, of_person }
        })
    }

    /// Persons by each state they answered ([`Self::db_locations`]), by name (a person in
    /// every state answered): the script's join on `state_information`.
    pub(super) fn db_by_state(&self, persons: &[u32]) -> BTreeMap<String, Vec<u32>> {
        let locations = self.db_locations();
        let mut groups = vec![Vec::new(); locations.names.len()];
        for &p in persons {
            for &at in &locations.of_person[p as usize] {
                groups[at].push(p);
            }
        }
        (locations.names.iter().zip(groups))
            .filter(|(_, group)| !group.is_empty())
            .map(|(name, group)| (name.clone(), distinct(group)))
            .collect()
    }

    pub(super) fn db_location(&self, domain: EhrDomain, concept: i32) -> Result<TallyTable, StatError> {
        let t = self.db_table(domain);
        let rows = self.db_concept_rows(t, concept)?;
        let persons =
            distinct(rows.iter().map(|&r| t.person(r)).filter(|&p| self.member.contains(p)).collect());
        let by_state = self.db_by_state(&persons);
        let out = by_state
            .into_iter()
            .map(|(state, group)| TallyRow::new(vec![state], self.tally(group)))
            .collect();
        Ok(self.table("data_browser_location", "Location".to_owned(), &["State"], out, self.tally(persons)))
    }
}
