//! Survey answers: persons by answer to a question, over those who took its survey.

use std::collections::BTreeMap;

use super::{Label, StatError, Stats, concept_label};
use crate::cdm::EventTable;
use crate::columns::NULL_I32;
use crate::index::Dense;
use crate::privacy::{TallyRow, TallyTable};

impl Stats<'_> {
    pub(super) fn survey_answers(&self, question: i32) -> Result<TallyTable, StatError> {
        self.vocab.concept(question).ok_or(StatError::UnknownConcept(question))?;
        let obs = self.index.events(EventTable::Observation);
        let answer = |r: usize| obs.value_source.get(r).copied().unwrap_or(NULL_I32);
        // Whether anyone in the dataset gave two different answers (a multiple-choice question).
        let mut first_answer: BTreeMap<u32, i32> = BTreeMap::new();
        let mut multiple = false;
        let mut answered = Dense::new(self.index.persons.len());
        obs.by_source.rows(question).each(|r| {
            let p = obs.person[r];
            answered.insert(p);
            multiple |= *first_answer.entry(p).or_insert(answer(r)) != answer(r);
        });
        // The persons who took the question's survey: any row of a question of its module.
        let mut took = answered.clone();
        if let Some(module) = self.module_of(question) {
            for &q in self.vocab.descendants(module) {
                obs.by_source.rows(q).each(|r| took.insert(obs.person[r]));
            }
        }
        let mut groups: BTreeMap<Label, Vec<u32>> = BTreeMap::new();
        obs.by_source.rows(question).each(|r| {
            let p = obs.person[r];
            if self.member.contains(p) {
                groups.entry(concept_label(self.vocab, answer(r))).or_default().push(p);
            }
        });
        let mut rows = self.grouped(groups);
        let total: Vec<u32> = self.persons.iter().filter(|&p| took.contains(p)).collect();
        let no_answer: Vec<u32> = total.iter().copied().filter(|&p| !answered.contains(p)).collect();
        let mut table = self.table(
            "survey_answers",
            concept_label(self.vocab, question).1,
            &["Answer"],
            Vec::new(),
            self.tally(total),
        );
        // With one answer per person, "Did not answer" is the Data Browser's derived remainder;
        // answers of a multiple-choice question overlap, so it is counted instead.
        if multiple {
            rows.push(TallyRow::new(vec!["Did not answer".to_owned()], self.tally(no_answer)));
        } else {
            table.remainder = Some("Did not answer".to_owned());
        }
        table.rows = rows;
        Ok(table)
    }

    /// The survey (a concept of class `Module`) a question belongs to, through its ancestors.
    pub(super) fn module_of(&self, question: i32) -> Option<i32> {
        let mut queue = vec![question];
        let mut seen = vec![question];
        while let Some(c) = queue.pop() {
            if self.vocab.concept(c).is_some_and(|k| k.class.eq_ignore_ascii_case("Module")) {
                return Some(c);
            }
            for &parent in self.vocab.parents(c) {
                if !seen.contains(&parent) {
                    seen.push(parent);
                    queue.insert(0, parent);
                }
            }
        }
        None
    }
}
