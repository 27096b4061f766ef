//! The EHR domain charts (`run-achilles-queries.sh`): participants per domain (analysis 3000,
//! 3300, 3301), the concepts of a domain (3000), and a concept's Sex (3101), Age (3102) and
//! Age + Sex (3105).

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashSet};

use super::{EhrDomain, age_label, age_stratum, age_years, sex_label};
use crate::cdm::EventTable;
use crate::columns::NULL_I32;
use crate::index::{Events, Index};
use crate::privacy::{PercentOf, Tally, TallyRow, TallyTable};
use crate::stats::{StatError, Stats, distinct};
use crate::vocab::Vocab;

/// The physical-measurement concepts of the Data Browser's Physical Measurements tile.
const PHYSICAL_MEASUREMENTS: [i32; 9] =
    [903118, 903115, 903133, 903121, 903135, 903136, 903126, 903111, 903120];

/// One domain's table as the script's view `v_ehr_<table>` holds it (a dataset without
/// `_mapping_*` tables: every row with a standard or a source concept above 0).
pub(crate) struct EhrTable<'a> {
    vocab: &'a Vocab,
    domain: EhrDomain,
    events: &'a Events,
    /// Whether each row is in the view.
    in_view: Vec<bool>,
    /// The standard concepts (`concept_id`) of the view's rows.
    standard: HashSet<i32>,
    /// Whether a row of the view has no standard concept: the script's `NOT IN` subquery then
    /// holds a NULL and matches no source concept.
    null_standard: bool,
}

impl<'a> EhrTable<'a> {
    pub(crate) fn new(vocab: &'a Vocab, index: &'a Index, domain: EhrDomain) -> EhrTable<'a> {
        let events = index.events(domain.table());
        let mut in_view = vec![false; events.len()];
        let mut covered = vec![false; events.len()];
        for &(c, a, b) in &events.runs {
            for r in a as usize..b as usize {
                covered[r] = true;
                in_view[r] = c > 0;
            }
        }
        for c in events.by_source.concepts().filter(|&c| c > 0) {
            events.by_source.rows(c).each(|r| in_view[r] = true);
        }
        let mut standard = HashSet::new();
        let mut null_standard = false;
        for &(c, a, b) in &events.runs {
            if c != NULL_I32 && (a as usize..b as usize).any(|r| in_view[r]) {
                standard.insert(c);
            }
        }
        for r in 0..events.len() {
            null_standard |= in_view[r] && (!covered[r] || events.concept(r) == NULL_I32);
        }
        EhrTable { vocab, domain, events, in_view, standard, null_standard }
    }

    /// Whether a concept has the domain's `domain_id`.
    fn in_domain(&self, c: i32) -> bool {
        self.vocab.concept(c).is_some_and(|k| k.domain == self.domain.domain_id())
    }

    /// Whether `c` is counted as an unmapped source concept: of the domain, and no standard
    /// concept of the view.
    fn is_source(&self, c: i32) -> bool {
        !self.null_standard && !self.standard.contains(&c) && self.in_domain(c)
    }

    /// The rows of concept `c` as the charts read them: its standard rows when it is a standard
    /// concept of the view (of the domain, above 0), else its source rows when it is an
    /// unmapped source concept; `None` when the Data Browser has no such concept in the domain.
    pub(crate) fn rows(&self, c: i32) -> Option<Vec<usize>> {
        let mut rows = Vec::new();
        if c > 0 && self.standard.contains(&c) && self.in_domain(c) {
            self.events.by_concept.rows(c).each(|r| rows.push(r));
        } else if self.is_source(c) {
            self.events.by_source.rows(c).each(|r| {
                if self.in_view[r] {
                    rows.push(r);
                }
            });
        }
        (!rows.is_empty()).then_some(rows)
    }

    /// The view's rows with source concept `c` when analysis 3000 counts `c` in the domain
    /// (the rows of its `source_count_value`): `c` a standard concept of the view, or an
    /// unmapped source concept; none otherwise.
    pub(crate) fn source_rows(&self, c: i32) -> Vec<usize> {
        let counted = Some(c) != self.domain.excluded()
            && ((c > 0 && self.standard.contains(&c) && self.in_domain(c)) || self.is_source(c));
        let mut rows = Vec::new();
        if counted {
            self.events.by_source.rows(c).each(|r| {
                if self.in_view[r] {
                    rows.push(r);
                }
            });
        }
        rows
    }

    /// The concepts listed in the domain (analysis 3000), by id, each with whether it is
    /// standard; the excluded concept left out.
    pub(crate) fn listed(&self) -> Vec<(i32, bool)> {
        let standard = self.standard.iter().filter(|&&c| c > 0 && self.in_domain(c)).map(|&c| (c, true));
        let source = self.events.by_source.concepts().filter(|&c| self.is_source(c)).map(|c| (c, false));
        let mut all: Vec<(i32, bool)> = standard
            .chain(source)
            .filter(|&(c, _)| Some(c) != self.domain.excluded())
            .filter(|&(c, standard)| standard || self.rows(c).is_some())
            .collect();
        all.sort_unstable();
        all
    }

    /// The rows of the view.
    fn view_rows(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.events.len()).filter(|&r| self.in_view[r])
    }

    /// The person ordinal of row `r`.
    pub(super) fn person(&self, r: usize) -> u32 {
        self.events.person[r]
    }
}

/// A domain's view over one scope: its rows ([`EhrTable`]) and, built when first asked for,
/// the scope's persons with a row in it, all of them, by sex and by age stratum at each row:
/// what every concept's Sex and Age charts divide by, computed once however many concepts a
/// publisher asks for.
pub(crate) struct DomainView<'a> {
    table: EhrTable<'a>,
    persons: OnceCell<Vec<u32>>,
    by_sex: OnceCell<BTreeMap<i32, Vec<u32>>>,
    by_stratum: OnceCell<BTreeMap<u8, Vec<u32>>>,
}

impl<'a> Stats<'a> {
    fn db_view(&self, domain: EhrDomain) -> &DomainView<'a> {
        self.ehr[domain as usize].get_or_init(|| DomainView {
            table: EhrTable::new(self.vocab, self.index, domain),
            persons: OnceCell::new(),
            by_sex: OnceCell::new(),
            by_stratum: OnceCell::new(),
        })
    }

    /// The domain's view (`v_ehr_<table>`).
    pub(super) fn db_table(&self, domain: EhrDomain) -> &EhrTable<'a> {
        &self.db_view(domain).table
    }

    /// The persons in scope with a row in the domain's view, sorted.
    fn db_view_persons(&self, domain: EhrDomain) -> &[u32] {
        let view = self.db_view(domain);
        view.persons.get_or_init(|| self.db_persons(view.table.events, view.table.view_rows()))
    }

    /// [`Self::db_view_persons`] by `gender_concept_id`.
    fn db_view_by_sex(&self, domain: EhrDomain) -> &BTreeMap<i32, Vec<u32>> {
        let view = self.db_view(domain);
        view.by_sex.get_or_init(|| self.db_by_sex(self.db_view_persons(domain)))
    }

    /// The persons in scope of the domain's view by the age stratum at each row.
    fn db_view_by_stratum(&self, domain: EhrDomain) -> &BTreeMap<u8, Vec<u32>> {
        let view = self.db_view(domain);
        view.by_stratum.get_or_init(|| self.db_by_stratum_at_rows(view.table.events, view.table.view_rows()))
    }
}

impl Stats<'_> {
    /// The age stratum of person `p` at row `r` of `events` (none without a birth or a date).
    fn db_stratum(&self, events: &Events, r: usize, p: u32) -> Option<u8> {
        let birth = self.index.persons.birth[p as usize]?;
        let date = events.date[r];
        (date != NULL_I32).then(|| age_stratum(age_years(date - birth.days())))
    }

    /// The rows of a concept in a domain, or an error saying where the Data Browser lists it.
    pub(super) fn db_concept_rows(&self, t: &EhrTable<'_>, concept: i32) -> Result<Vec<usize>, StatError> {
        self.vocab.concept(concept).ok_or(StatError::UnknownConcept(concept))?;
        t.rows(concept).ok_or_else(|| {
            StatError::Statistic(format!(
                "concept {concept} has no records in the Data Browser's {} domain; list the domain's \
                 concepts with {{\"kind\": \"dataBrowser\", \"chart\": \"concepts\", \"domain\": \"{}\"}}",
                t.domain.domain_id(),
                t.domain.domain_id().to_lowercase()
            ))
        })
    }

    /// The distinct persons in scope of some rows.
    fn db_persons(&self, events: &Events, rows: impl Iterator<Item = usize>) -> Vec<u32> {
        distinct(rows.map(|r| events.person[r]).filter(|&p| self.member.contains(p)).collect())
    }

    /// Persons in scope by `gender_concept_id`.
    pub(super) fn db_by_sex(&self, persons: &[u32]) -> BTreeMap<i32, Vec<u32>> {
        let mut out: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
        for &p in persons {
            out.entry(self.index.persons.gender[p as usize]).or_default().push(p);
        }
        out
    }

    /// Persons in scope of the rows by the age stratum at each row (a person in every stratum
    /// they have a row in).
    pub(super) fn db_by_stratum_at_rows(
        &self,
        events: &Events,
        rows: impl Iterator<Item = usize>,
    ) -> BTreeMap<u8, Vec<u32>> {
        // Strata are 0–9: one list each.
        let mut out: [Vec<u32>; 10] = Default::default();
        for r in rows {
            let p = events.person[r];
            if let (true, Some(s)) = (self.member.contains(p), self.db_stratum(events, r, p)) {
                out[usize::from(s)].push(p);
            }
        }
        (0u8..).zip(out).filter(|(_, persons)| !persons.is_empty()).map(|(s, p)| (s, distinct(p))).collect()
    }

    pub(super) fn db_domains(&self) -> TallyTable {
        let mut rows = Vec::new();
        for domain in EhrDomain::ALL {
            let persons = self.db_view_persons(domain).iter().copied();
            rows.push(TallyRow::new(vec![domain.domain_id().to_owned()], self.tally(persons)));
        }
        let mut physical = Vec::new();
        for (tab, concepts) in
            [(EventTable::Measurement, &PHYSICAL_MEASUREMENTS[..]), (EventTable::Observation, &[903120][..])]
        {
            let events = self.index.events(tab);
            for &c in concepts {
                for buckets in [&events.by_concept, &events.by_source] {
                    buckets.rows(c).each(|r| physical.push(events.person[r]));
                }
            }
        }
        let physical: Vec<u32> =
            distinct(physical).into_iter().filter(|&p| self.member.contains(p)).collect();
        rows.push(TallyRow::new(vec!["Physical Measurements".to_owned()], self.tally(physical)));
        let fitbit = self.persons.iter().filter(|&p| self.index.persons.fitbit.contains(p));
        rows.push(TallyRow::new(vec!["Fitbit".to_owned()], self.tally(fitbit)));
        self.table(
            "data_browser_domains",
            "Participants by domain".to_owned(),
            &["Domain"],
            rows,
            self.tally(&self.persons),
        )
    }

    pub(super) fn db_concepts(&self, domain: EhrDomain) -> TallyTable {
        let t = self.db_table(domain);
        let mut rows = Vec::new();
        for (c, _) in t.listed() {
            let persons = self.db_persons(t.events, t.rows(c).unwrap_or_default().into_iter());
            if persons.is_empty() {
                continue;
            }
            let name = self.vocab.concept(c).map_or_else(String::new, |k| k.name.clone());
            rows.push((name, c, self.tally(persons)));
        }
        rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let rows: Vec<TallyRow> = rows
            .into_iter()
            .map(|(name, c, tally)| TallyRow::new(vec![name, c.to_string()], tally))
            .collect();
        let n = rows.len();
        let table = self.table(
            "data_browser_concepts",
            format!("{} concepts", domain.domain_id()),
            &["Concept", "Concept ID"],
            rows,
            self.tally(&self.persons),
        );
        TallyTable { rank: Some(n), ..table }
    }

    pub(super) fn db_sex(&self, domain: EhrDomain, concept: i32) -> Result<TallyTable, StatError> {
        let t = self.db_table(domain);
        let rows = self.db_concept_rows(t, concept)?;
        let persons = self.db_persons(t.events, rows.into_iter());
        let of = self.db_view_by_sex(domain);
        let mut out: Vec<(String, TallyRow)> = self
            .db_by_sex(&persons)
            .into_iter()
            .map(|(g, group)| {
                let label = if g == NULL_I32 { "Not recorded".to_owned() } else { sex_label(self.vocab, g) };
                let of = of.get(&g).map_or_else(Tally::default, |d| self.tally(d.iter().copied()));
                (label.clone(), TallyRow { labels: vec![label], tally: self.tally(group), of: Some(of) })
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        let table = self.table(
            "data_browser_sex",
            "Sex assigned at birth".to_owned(),
            &["Sex assigned at birth"],
            out.into_iter().map(|(_, r)| r).collect(),
            self.tally(persons),
        );
        Ok(TallyTable { percent_of: PercentOf::Row, ..table })
    }

    pub(super) fn db_age(&self, domain: EhrDomain, concept: i32) -> Result<TallyTable, StatError> {
        let t = self.db_table(domain);
        let rows = self.db_concept_rows(t, concept)?;
        // Each person's lowest stratum over the concept's rows (the script's min_age_stratum):
        // sorted by person then stratum, a person's first pair.
        let mut strata: Vec<(u32, u8)> = (rows.iter())
            .filter_map(|&r| {
                let p = t.person(r);
                self.member.contains(p).then(|| self.db_stratum(t.events, r, p).map(|s| (p, s))).flatten()
            })
            .collect();
        strata.sort_unstable();
        strata.dedup_by_key(|&mut (p, _)| p);
        let mut by_stratum: BTreeMap<u8, Vec<u32>> = BTreeMap::new();
        for (p, s) in strata {
            by_stratum.entry(s).or_default().push(p);
        }
        let of = self.db_view_by_stratum(domain);
        let out = by_stratum
            .into_iter()
            .filter_map(|(s, persons)| {
                let label = age_label(s)?.to_owned();
                let of = of.get(&s).map_or_else(Tally::default, |d| self.tally(d.iter().copied()));
                Some(TallyRow { labels: vec![label], tally: self.tally(persons), of: Some(of) })
            })
            .collect();
        let persons = self.db_persons(t.events, rows.into_iter());
        let table = self.table(
            "data_browser_age",
            "Age at First Occurrence in Participant Record".to_owned(),
            &["Age"],
            out,
            self.tally(persons),
        );
        Ok(TallyTable { percent_of: PercentOf::Row, ..table })
    }

    pub(super) fn db_age_sex(&self, domain: EhrDomain, concept: i32) -> Result<TallyTable, StatError> {
        let t = self.db_table(domain);
        let rows = self.db_concept_rows(t, concept)?;
        let by_stratum = self.db_by_stratum_at_rows(t.events, rows.iter().copied());
        let mut out = Vec::new();
        for (s, persons) in by_stratum {
            let Some(age) = age_label(s) else { continue };
            let by_sex = self.db_by_sex(&persons);
            for (sex, gender) in [("Male", 8507), ("Female", 8532), ("Other", 0)] {
                let group = by_sex.get(&gender).map_or(&[][..], Vec::as_slice);
                out.push(TallyRow::new(
                    vec![age.to_owned(), sex.to_owned()],
                    self.tally(group.iter().copied()),
                ));
            }
        }
        let persons = self.db_persons(t.events, rows.into_iter());
        let table = self.table(
            "data_browser_age_sex",
            "Age at First Occurrence in Participant Record by sex".to_owned(),
            &["Age", "Sex assigned at birth"],
            out,
            self.tally(persons),
        );
        Ok(TallyTable { percent_of: PercentOf::Group, ..table })
    }
}
