//! The Sources chart (`chart-sources`; `ConceptDao.findSourceConcepts`): the source concepts
//! that map to a standard concept, each with its participants as a source concept (its analysis
//! 3000 `source_count_value` of `run-achilles-queries.sh`).

use super::EhrDomain;
use crate::privacy::{TallyRow, TallyTable};
use crate::stats::{StatError, Stats, distinct};

/// How many sources the chart shows (the page keeps the first 10 the API gives).
const SHOWN: usize = 10;

impl Stats<'_> {
    pub(super) fn db_sources(&self, concept: i32) -> Result<TallyTable, StatError> {
        self.vocab.concept(concept).ok_or(StatError::UnknownConcept(concept))?;
        let mapped = self.vocab.mapped_from(concept).ok_or_else(|| {
            StatError::Statistic(
                "the Sources chart reads the `Maps to` rows of concept_relationship, and this dataset \
                 has no concept_relationship table; import one with the vocabulary"
                    .to_owned(),
            )
        })?;
        let mut rows = Vec::new();
        let mut everyone = Vec::new();
        for &c in mapped {
            let Some(k) = self.vocab.concept(c) else { continue };
            let Some(domain) = EhrDomain::ALL.into_iter().find(|d| d.domain_id() == k.domain) else {
                continue;
            };
            let t = self.db_table(domain);
            let persons: Vec<u32> = distinct(
                t.source_rows(c)
                    .into_iter()
                    .map(|r| t.person(r))
                    .filter(|&p| self.member.contains(p))
                    .collect(),
            );
            if persons.is_empty() {
                continue;
            }
            everyone.extend_from_slice(&persons);
            let label = format!("{} ({}-{})", k.name, k.vocabulary, k.code);
            rows.push((label, c, self.tally(persons)));
        }
        rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let rows = rows.into_iter().map(|(label, _, tally)| TallyRow::new(vec![label], tally)).collect();
        let table = self.table(
            "data_browser_sources",
            "Sources".to_owned(),
            &["Source concept"],
            rows,
            self.tally(distinct(everyone)),
        );
        Ok(TallyTable { rank: Some(SHOWN), ..table })
    }
}
