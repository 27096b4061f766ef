//! Evaluation of a checked plan on the index (docs/cohort-semantics.md, "The result"): each
//! item's parameters select events, its modifiers filter them in the spec's order, its persons
//! are set; groups are unions (or temporal relations), includes intersect, excludes subtract,
//! data filters intersect.

use super::plan::{
    AgeAt, Cmp, Criterion, Flag, GroupPlan, ItemPlan, Mention, Modifiers, PersonCriterion, Plan, RowAttr,
    TemporalPlan, Time,
};
use super::{Cohort, GroupCount, ItemCount};
use crate::cdm::EventTable;
use crate::cdm::concepts::{DIASTOLIC, SYSTOLIC};
use crate::columns::NULL_I32;
use crate::date::today;
use crate::index::{Dense, Events, Index, NO_MOMENT, NO_VISIT};
use crate::privacy::Tally;

/// One event: a row that a parameter selected.
#[derive(Clone, Copy, Debug)]
struct Event {
    person: u32,
    date: i32,
    /// The concept the row matched on (standard or source column), for occurrence counts.
    concept: i32,
    visit: u32,
    /// The item part that selected it (temporal groups pick first and last mentions per part).
    part: u32,
}

/// Where a criterion's events go: a person set, or a list when events are counted or related.
trait Sink {
    fn push(&mut self, e: Event);
}

impl Sink for Dense {
    #[inline]
    fn push(&mut self, e: Event) {
        self.insert(e.person);
    }
}

/// Events tagged with the part that selected them.
struct Tagged<'a> {
    events: &'a mut Vec<Event>,
    part: u32,
}

impl Sink for Tagged<'_> {
    #[inline]
    fn push(&mut self, e: Event) {
        self.events.push(Event { part: self.part, ..e });
    }
}

/// Evaluates `plan` on `index`.
pub(crate) fn evaluate(index: &Index, plan: &Plan) -> Cohort {
    let e = Evaluator { index, restrict: plan.restrict, n: index.persons.len() };
    let includes: Vec<(Dense, GroupCount)> = plan.includes.iter().map(|g| e.group(g)).collect();
    let excludes: Vec<(Dense, GroupCount)> = plan.excludes.iter().map(|g| e.group(g)).collect();
    let (required, removed) =
        if includes.is_empty() { (&excludes, None) } else { (&includes, Some(&excludes)) };
    let mut cohort = match required.split_first() {
        Some((first, rest)) => {
            let mut c = first.0.clone();
            rest.iter().for_each(|(g, _)| c.intersect_with(g));
            c
        }
        None => Dense::new(e.n),
    };
    for (g, _) in removed.into_iter().flatten() {
        cohort.subtract(g);
    }
    for &f in &plan.filters {
        cohort.intersect_with(&e.flag(f));
    }
    Cohort {
        total: e.tally(&cohort),
        persons: cohort.to_roaring(),
        includes: includes.into_iter().map(|(_, c)| c).collect(),
        excludes: excludes.into_iter().map(|(_, c)| c).collect(),
    }
}

struct Evaluator<'a> {
    index: &'a Index,
    restrict: bool,
    n: usize,
}

impl Evaluator<'_> {
    fn group(&self, g: &GroupPlan) -> (Dense, GroupCount) {
        let mut persons = Dense::new(self.n);
        let mut items = Vec::with_capacity(g.items.len());
        match &g.temporal {
            None => {
                for item in &g.items {
                    let p = self.item_persons(item);
                    items.push(ItemCount { id: item.id.clone(), count: self.tally(&p) });
                    persons.union_with(&p);
                }
            }
            Some(t) => {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let (mut in_a, mut in_b) = (Dense::new(self.n), Dense::new(self.n));
                for (i, item) in g.items.iter().enumerate() {
                    // NUM_OF_OCCURRENCES is not applied in a temporal group; the mention picks
                    // per part of each item, on both sides (`SGIQB.buildInnerTemporalQuery`).
                    let mut events = Vec::new();
                    for (part, c) in &item.criteria {
                        let tag = (i as u32) << 16 | u32::from(*part);
                        self.criterion(c, &item.mods, &mut Tagged { events: &mut events, part: tag });
                    }
                    mention(&mut events, t.mention);
                    let mut p = Dense::new(self.n);
                    events.iter().for_each(|e| p.insert(e.person));
                    items.push(ItemCount { id: item.id.clone(), count: self.tally(&p) });
                    if item.temporal_group == 0 {
                        a.extend(events);
                        in_a.union_with(&p);
                    } else {
                        b.extend(events);
                        in_b.union_with(&p);
                    }
                }
                // Only persons on both sides can relate: the rest need no sorting.
                in_a.intersect_with(&in_b);
                a.retain(|e| in_a.contains(e.person));
                b.retain(|e| in_a.contains(e.person));
                persons = self.temporal(t, a, b);
            }
        }
        let count = GroupCount { id: g.id.clone(), count: self.tally(&persons), items };
        (persons, count)
    }

    fn tally(&self, persons: &Dense) -> Tally {
        Tally::of(persons.ordinals(), &self.index.persons.keys)
    }

    /// The persons of a `cb_search_person` flag.
    fn flag(&self, f: Flag) -> Dense {
        let p = &self.index.persons;
        match f {
            Flag::Ehr => p.ehr.clone(),
            Flag::PhysicalMeasurement => p.physical.clone(),
            Flag::Survey => p.survey.clone(),
            Flag::Fitbit => p.fitbit.clone(),
            Flag::FitbitActivity => {
                let mut d = Dense::new(self.n);
                p.activity.iter().for_each(|x| d.insert(x));
                d
            }
            Flag::FitbitHeartRateSummary => p.heart_rate.clone(),
            Flag::Absent => Dense::new(self.n),
        }
    }

    /// The persons of an item.
    fn item_persons(&self, item: &ItemPlan) -> Dense {
        if let Some(count) = &item.mods.occurrences {
            let mut days = Days::default();
            for (_, c) in &item.criteria {
                self.criterion(c, &item.mods, &mut days);
            }
            return days.persons(count, self.n);
        }
        let mut p = Dense::new(self.n);
        for (_, c) in &item.criteria {
            match c {
                Criterion::Person(pc) => self.person_criterion(pc, &mut p),
                _ => self.criterion(c, &item.mods, &mut p),
            }
        }
        p
    }

    fn criterion<S: Sink>(&self, c: &Criterion, mods: &Modifiers, sink: &mut S) {
        match c {
            Criterion::Rows { table, source, concepts, attrs, visits } => {
                let ev = self.index.events(*table);
                let buckets = if *source { &ev.by_source } else { &ev.by_concept };
                for &concept in concepts {
                    // A bucket's rows all have its concept (standard or source).
                    buckets
                        .rows(concept)
                        .each(|r| self.row(ev, *table, r, concept, attrs, *visits, mods, sink));
                }
            }
            Criterion::AllRows { table } => {
                let ev = self.index.events(*table);
                (0..ev.len()).for_each(|r| self.row(ev, *table, r, ev.concept(r), &[], false, mods, sink));
            }
            Criterion::BloodPressure { source, systolic, diastolic } => {
                self.blood_pressure(*source, systolic.as_ref(), diastolic.as_ref(), mods, sink)
            }
            Criterion::Person(_) => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn row<S: Sink>(
        &self,
        ev: &Events,
        table: EventTable,
        r: usize,
        concept: i32,
        attrs: &[RowAttr],
        visits: bool,
        mods: &Modifiers,
        sink: &mut S,
    ) {
        if !attrs.iter().all(|a| attribute(ev, r, a)) {
            return;
        }
        let e = Event {
            person: ev.person[r],
            date: ev.date[r],
            concept,
            // A visit id `visit_occurrence` lacks is no visit (the search events' LEFT JOIN).
            visit: if visits && ev.visit(r) < self.index.known_visits { ev.visit(r) } else { NO_VISIT },
            part: 0,
        };
        let _ = table;
        if self.keeps(&e, mods) {
            sink.push(e);
        }
    }

    /// Row-level modifiers, in the spec's order: observation period, age at event, event
    /// date, encounters.
    #[inline]
    fn keeps(&self, e: &Event, mods: &Modifiers) -> bool {
        let persons = &self.index.persons;
        if self.restrict && (e.date == NULL_I32 || !persons.observed(e.person, e.date)) {
            return false;
        }
        if !mods.filters_rows() {
            return true;
        }
        if let Some(cmp) = &mods.age {
            let Some(birth) = persons.birth[e.person as usize].filter(|_| e.date != NULL_I32) else {
                return false;
            };
            if !cmp.test(f64::from(self.index.calendar.age(birth, e.date))) {
                return false;
            }
        }
        if let Some(cmp) = &mods.date
            && (e.date == NULL_I32 || !cmp.test(e.date))
        {
            return false;
        }
        if let Some(visit) = mods.encounter {
            let concept = self.index.visit_concept.get(e.visit as usize).copied().unwrap_or(NULL_I32);
            if concept == NULL_I32 || concept != visit {
                return false;
            }
        }
        true
    }

    /// Blood-pressure rows whose readings of the same person and datetime pass: a systolic
    /// (903118) row's own value and a diastolic row's value at its datetime, or the reverse
    /// (`build-search-all-events.sh` pairs them by `measurement_datetime`; the index numbers
    /// those moments at load, [`crate::index::Events::blood_pressure`]).
    fn blood_pressure<S: Sink>(
        &self,
        source: bool,
        systolic: Option<&Cmp<f64>>,
        diastolic: Option<&Cmp<f64>>,
        mods: &Modifiers,
        sink: &mut S,
    ) {
        let ev = self.index.events(EventTable::Measurement);
        let buckets = if source { &ev.by_source } else { &ev.by_concept };
        let bp = &ev.blood_pressure;
        let passes = |cmp: Option<&Cmp<f64>>, r: usize| {
            cmp.is_none_or(|c| {
                let v = ev.value(r);
                !v.is_nan() && c.test(v)
            })
        };
        // The moments at which a reading of `concept` passes `cmp`.
        let passing = |concept: i32, cmp: Option<&Cmp<f64>>| {
            let mut ok = vec![false; bp.count(source)];
            let mut moments = bp.moments(source, concept).iter();
            buckets.rows(concept).each(|r| {
                if let Some(&m) = moments.next()
                    && m != NO_MOMENT
                    && passes(cmp, r)
                {
                    ok[m as usize] = true;
                }
            });
            ok
        };
        for (concept, own, other, other_concept) in
            [(SYSTOLIC, systolic, diastolic, DIASTOLIC), (DIASTOLIC, diastolic, systolic, SYSTOLIC)]
        {
            // Without a bound on the other side, any reading of this side qualifies.
            let other_ok = other.map(|cmp| passing(other_concept, Some(cmp)));
            let mut moments = bp.moments(source, concept).iter();
            buckets.rows(concept).each(|r| {
                let m = moments.next().copied().unwrap_or(NO_MOMENT);
                let paired = other_ok.as_ref().is_none_or(|ok| m != NO_MOMENT && ok[m as usize]);
                if paired && passes(own, r) {
                    self.row(ev, EventTable::Measurement, r, concept, &[], true, mods, sink);
                }
            });
        }
    }

    fn person_criterion(&self, c: &PersonCriterion, out: &mut Dense) {
        let p = &self.index.persons;
        let mut each = |keep: &dyn Fn(usize) -> bool| {
            (0..self.n).filter(|&i| keep(i)).for_each(|i| out.insert(i as u32));
        };
        match c {
            PersonCriterion::Age(ages) => {
                let today = today();
                each(&|i| {
                    ages.iter().any(|(at, cmp)| {
                        let (age, living) = match at {
                            AgeAt::Today => (p.birth[i].map_or(NULL_I32, |b| b.age_on(today)), true),
                            AgeAt::Cdr => (p.birth[i].map_or(NULL_I32, |b| b.age_on(self.index.cdr)), true),
                            AgeAt::Consent => (p.age_at_consent[i], false),
                        };
                        age != NULL_I32
                            && cmp.test(f64::from(age))
                            && !(living && p.deceased.contains(i as u32))
                    })
                })
            }
            PersonCriterion::Gender(c) => each(&|i| p.gender[i] == *c),
            PersonCriterion::Sex(c) => each(&|i| p.sex[i] == *c),
            PersonCriterion::Race(c) => each(&|i| p.race[i] == *c),
            PersonCriterion::Ethnicity(c) => each(&|i| p.ethnicity[i] == *c),
            PersonCriterion::Deceased => out.union_with(&p.deceased),
            PersonCriterion::Flag(f) => out.union_with(&self.flag(*f)),
            PersonCriterion::Steps(steps) => {
                each(&|i| !p.steps[i].is_nan() && steps.iter().all(|c: &Cmp<f64>| c.test(p.steps[i])))
            }
        }
    }

    /// The persons with a picked A event and a B event related by `t`.
    fn temporal(&self, t: &TemporalPlan, mut a: Vec<Event>, mut b: Vec<Event>) -> Dense {
        let mut out = Dense::new(self.n);
        a.sort_unstable_by_key(|e| (e.person, e.date));
        b.sort_unstable_by_key(|e| (e.person, e.date));
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let (pa, pb) = (a[i].person, b[j].person);
            if pa != pb {
                if pa < pb {
                    i += run_end(&a, i) - i
                } else {
                    j += run_end(&b, j) - j
                }
                continue;
            }
            let (ea, eb) = (run_end(&a, i), run_end(&b, j));
            if related(t, &a[i..ea], &b[j..eb]) {
                out.insert(pa);
            }
            (i, j) = (ea, eb);
        }
        out
    }
}

/// The end of the run of events of the person of `events[i]`.
fn run_end(events: &[Event], i: usize) -> usize {
    let p = events[i].person;
    i + events[i..].partition_point(|e| e.person == p)
}

/// Whether some event of `a` and some event of `b` (one person's, sorted by date, null dates
/// first) satisfy the group's time.
fn related(t: &TemporalPlan, a: &[Event], b: &[Event]) -> bool {
    let dated = |s: &[Event]| -> (usize, usize) { (s.partition_point(|e| e.date == NULL_I32), s.len()) };
    let (b0, b1) = dated(b);
    let x = t.days;
    match t.time {
        Time::SameEncounter => {
            // `IFNULL(visit, 0)` equal and the same date (`SGIQB.SAME_ENC`).
            let mut keys: Vec<(u32, i32)> = dates_of(a).map(|e| (e.visit, e.date)).collect();
            keys.sort_unstable();
            dates_of(b).any(|e| keys.binary_search(&(e.visit, e.date)).is_ok())
        }
        Time::DaysBefore => match (dates(a).min(), b[b0..b1].last()) {
            (Some(first_a), Some(last_b)) => f64::from(last_b.date) - f64::from(first_a) >= x,
            _ => false,
        },
        Time::DaysAfter => match (dates(a).max(), b[b0..b1].first()) {
            (Some(last_a), Some(first_b)) => f64::from(last_a) - f64::from(first_b.date) >= x,
            _ => false,
        },
        Time::Within => {
            let bs = &b[b0..b1];
            dates(a).any(|d| {
                let lo = f64::from(d) - x;
                let k = bs.partition_point(|e| f64::from(e.date) < lo);
                bs.get(k).is_some_and(|e| f64::from(e.date) <= f64::from(d) + x)
            })
        }
    }
}

/// The events of `events` that have a date.
fn dates_of(events: &[Event]) -> impl Iterator<Item = &Event> + '_ {
    events.iter().filter(|e| e.date != NULL_I32)
}

/// Keeps, per (person, part), the events a mention picks: all, those on the earliest date,
/// or those on the latest (`RANK() OVER (PARTITION BY person_id ORDER BY entry_date) = 1`).
fn mention(events: &mut Vec<Event>, m: Mention) {
    if m == Mention::Any {
        return;
    }
    events.retain(|e| e.date != NULL_I32);
    events.sort_unstable_by_key(|e| (e.person, e.part, e.date));
    let mut keep = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        let (p, part) = (events[i].person, events[i].part);
        let end = i + events[i..].partition_point(|e| e.person == p && e.part == part);
        let run = &events[i..end];
        let day = if m == Mention::First { run[0].date } else { run[run.len() - 1].date };
        keep.extend(run.iter().filter(|e| e.date == day));
        i = end;
    }
    *events = keep;
}

/// The non-null dates of `events`.
fn dates(events: &[Event]) -> impl Iterator<Item = i32> + '_ {
    events.iter().map(|e| e.date).filter(|&d| d != NULL_I32)
}

/// Whether row `r` satisfies a value attribute (a null never does).
#[inline]
fn attribute(ev: &Events, r: usize, a: &RowAttr) -> bool {
    let number = |c: &Cmp<f64>| {
        let v = ev.value(r);
        !v.is_nan() && c.test(v)
    };
    let among = |column: &[i32], set: &[i32]| {
        column.get(r).is_some_and(|v| *v != NULL_I32 && set.binary_search(v).is_ok())
    };
    match a {
        RowAttr::Number(c) => number(c),
        RowAttr::ValueConcept(set) => among(&ev.value_concept, set),
        RowAttr::ValueSource(set) => among(&ev.value_source, set),
        RowAttr::NumberOr { number: c, concepts, source } => {
            number(c) || among(if *source { &ev.value_source } else { &ev.value_concept }, concepts)
        }
        RowAttr::HasNumber => !ev.value(r).is_nan(),
    }
}

/// An item's events after its row modifiers as (person, date) keys per concept, for
/// `NUM_OF_OCCURRENCES` (the Workbench counts `SELECT DISTINCT person_id, entry_date,
/// concept_id`). Events arrive in runs of one concept, so a concept is looked up once per run.
#[derive(Default)]
struct Days {
    /// Per concept, `person << 32 | biased date` of each event.
    keys: Vec<(i32, Vec<u64>)>,
    of_concept: std::collections::HashMap<i32, usize>,
    last: usize,
}

impl Sink for Days {
    #[inline]
    fn push(&mut self, e: Event) {
        if self.keys.get(self.last).is_none_or(|(c, _)| *c != e.concept) {
            let next = self.keys.len();
            self.last = *self.of_concept.entry(e.concept).or_insert(next);
            if self.last == next {
                self.keys.push((e.concept, Vec::new()));
            }
        }
        // Biasing the date keeps its order in the unsigned key (a null date is one more date).
        let day = u64::from((e.date as u32) ^ 0x8000_0000);
        self.keys[self.last].1.push(u64::from(e.person) << 32 | day);
    }
}

impl Days {
    /// The persons with a concept whose number of distinct dates satisfies `count`.
    fn persons(mut self, count: &Cmp<f64>, n: usize) -> Dense {
        let mut out = Dense::new(n);
        for (_, keys) in &mut self.keys {
            keys.sort_unstable();
            keys.dedup();
            for run in keys.chunk_by(|a, b| a >> 32 == b >> 32) {
                if count.test(run.len() as f64) {
                    out.insert((run[0] >> 32) as u32);
                }
            }
        }
        out
    }
}
