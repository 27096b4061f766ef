//! Evaluation of a checked plan on the index (docs/cohort-semantics.md, "The result"): each
//! item's parameters select events, its modifiers filter them in the spec's order, its persons
//! are set; groups are unions (or temporal relations), includes intersect, excludes subtract,
//! data filters intersect.

use super::plan::{
    AgeAt, Cmp, Criterion, DataFilter, GroupPlan, ItemPlan, Mention, Modifiers, PersonCriterion, Plan,
    RowAttr, TemporalPlan, Time,
};
use super::{Cohort, GroupCount, ItemCount};
use crate::cdm::EventTable;
use crate::cdm::concepts::{DIASTOLIC, SYSTOLIC};
use crate::columns::NULL_I32;
use crate::index::{Dense, Events, Index, NO_VISIT};
use crate::privacy::Tally;

/// One event: a row that a parameter selected.
#[derive(Clone, Copy, Debug)]
struct Event {
    person: u32,
    date: i32,
    /// The concept the row matched on (standard or source column), for occurrence counts.
    concept: i32,
    visit: u32,
    /// Table and row, so that a row selected twice on one concept by an item counts once.
    row: u64,
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

impl Sink for Vec<Event> {
    #[inline]
    fn push(&mut self, e: Event) {
        Vec::push(self, e);
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
    for f in &plan.filters {
        cohort.intersect_with(match f {
            DataFilter::Ehr => &index.persons.ehr,
            DataFilter::PhysicalMeasurement => &index.persons.physical,
        });
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
                for item in &g.items {
                    let events = self.item_events(item);
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

    /// The persons of an item.
    fn item_persons(&self, item: &ItemPlan) -> Dense {
        if !item.mods.occurrences.is_empty() {
            let mut p = Dense::new(self.n);
            self.item_events(item).iter().for_each(|e| p.insert(e.person));
            return p;
        }
        let mut p = Dense::new(self.n);
        for c in &item.criteria {
            match c {
                Criterion::Person(pc) => self.person_criterion(pc, &mut p),
                _ => self.criterion(c, &item.mods, &mut p),
            }
        }
        p
    }

    /// The events of an (event) item after all its modifiers.
    fn item_events(&self, item: &ItemPlan) -> Vec<Event> {
        let mut events = Vec::new();
        for c in &item.criteria {
            self.criterion(c, &item.mods, &mut events);
        }
        if !item.mods.occurrences.is_empty() {
            if item.criteria.len() > 1 {
                // An event is a row matched on a concept: a row selected twice on the same
                // concept (say, by a concept and by its ancestor's group) is one event, a row
                // selected on its standard and on its source concept two. (Only counts care:
                // a temporal relation holds for an event however often it is listed.)
                events.sort_unstable_by_key(|e| (e.row, e.concept));
                events.dedup_by_key(|e| (e.row, e.concept));
            }
            occurrences(&mut events, &item.mods.occurrences);
        }
        events
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
            Criterion::BloodPressure { systolic, diastolic } => {
                self.blood_pressure(systolic, diastolic, mods, sink)
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
            visit: if visits { ev.visit(r) } else { NO_VISIT },
            row: (table as u64) << 32 | r as u64,
        };
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
        if !mods.age.is_empty() {
            let Some(birth) = persons.birth[e.person as usize].filter(|_| e.date != NULL_I32) else {
                return false;
            };
            let age = f64::from(self.index.calendar.age(birth, e.date));
            if !mods.age.iter().all(|c| c.test(age)) {
                return false;
            }
        }
        if !mods.date.is_empty() && (e.date == NULL_I32 || !mods.date.iter().all(|c| c.test(e.date))) {
            return false;
        }
        if !mods.encounters.is_empty() {
            let concept = self.index.visit_concept.get(e.visit as usize).copied().unwrap_or(NULL_I32);
            if concept == NULL_I32 || !mods.encounters.iter().all(|set| set.binary_search(&concept).is_ok()) {
                return false;
            }
        }
        true
    }

    /// Systolic rows satisfying their attributes on a date when a diastolic row of the person
    /// satisfies its attributes; the event is the systolic row's.
    fn blood_pressure<S: Sink>(
        &self,
        systolic: &[RowAttr],
        diastolic: &[RowAttr],
        mods: &Modifiers,
        sink: &mut S,
    ) {
        let ev = self.index.events(EventTable::Measurement);
        let key = |r: usize| u64::from(ev.person[r]) << 32 | u64::from(ev.date[r] as u32);
        let mut same_day = Vec::new();
        ev.by_concept.rows(DIASTOLIC).each(|r| {
            if ev.date[r] != NULL_I32 && diastolic.iter().all(|a| attribute(ev, r, a)) {
                same_day.push(key(r));
            }
        });
        same_day.sort_unstable();
        same_day.dedup();
        ev.by_concept.rows(SYSTOLIC).each(|r| {
            if ev.date[r] != NULL_I32 && same_day.binary_search(&key(r)).is_ok() {
                self.row(ev, EventTable::Measurement, r, SYSTOLIC, systolic, true, mods, sink);
            }
        });
    }

    fn person_criterion(&self, c: &PersonCriterion, out: &mut Dense) {
        let p = &self.index.persons;
        let mut each = |keep: &dyn Fn(usize) -> bool| {
            (0..self.n).filter(|&i| keep(i)).for_each(|i| out.insert(i as u32));
        };
        match c {
            PersonCriterion::Age(ages) => each(&|i| {
                ages.iter().all(|(at, cmp)| {
                    let age = match at {
                        AgeAt::Reference => p.age_now[i],
                        AgeAt::Consent => p.age_at_consent[i],
                    };
                    age != NULL_I32 && cmp.test(f64::from(age))
                })
            }),
            PersonCriterion::Gender(c) => each(&|i| p.gender[i] == *c),
            PersonCriterion::Sex(c) => each(&|i| p.sex[i] == *c),
            PersonCriterion::Race(c) => each(&|i| p.race[i] == *c),
            PersonCriterion::Ethnicity(c) => each(&|i| p.ethnicity[i] == *c),
            PersonCriterion::Deceased => out.union_with(&p.deceased),
            PersonCriterion::Fitbit(steps) if steps.is_empty() => out.union_with(&p.fitbit),
            PersonCriterion::Fitbit(steps) => {
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

/// Whether some picked event of `a` and some event of `b` (one person's, sorted by date,
/// null dates first) satisfy the group's time.
fn related(t: &TemporalPlan, a: &[Event], b: &[Event]) -> bool {
    let dated = |s: &[Event]| -> (usize, usize) { (s.partition_point(|e| e.date == NULL_I32), s.len()) };
    let (a0, a1) = dated(a);
    let picked: &[Event] = match t.mention {
        Mention::Any => a,
        Mention::First if a0 < a1 => {
            let first = a[a0].date;
            &a[a0..a0 + a[a0..].partition_point(|e| e.date == first)]
        }
        Mention::Last if a0 < a1 => {
            let last = a[a1 - 1].date;
            &a[a0 + a[a0..].partition_point(|e| e.date < last)..]
        }
        _ => &[],
    };
    let (b0, b1) = dated(b);
    let x = t.days;
    match t.time {
        Time::SameEncounter => {
            let mut visits: Vec<u32> = picked.iter().map(|e| e.visit).filter(|&v| v != NO_VISIT).collect();
            visits.sort_unstable();
            b.iter().any(|e| e.visit != NO_VISIT && visits.binary_search(&e.visit).is_ok())
        }
        Time::DaysBefore => match (dates(picked).min(), b[b0..b1].last()) {
            (Some(first_a), Some(last_b)) => f64::from(last_b.date) - f64::from(first_a) >= x,
            _ => false,
        },
        Time::DaysAfter => match (dates(picked).max(), b[b0..b1].first()) {
            (Some(last_a), Some(first_b)) => f64::from(last_a) - f64::from(first_b.date) >= x,
            _ => false,
        },
        Time::Within => {
            let bs = &b[b0..b1];
            dates(picked).any(|d| {
                let lo = f64::from(d) - x;
                let k = bs.partition_point(|e| f64::from(e.date) < lo);
                bs.get(k).is_some_and(|e| f64::from(e.date) <= f64::from(d) + x)
            })
        }
    }
}

/// The non-null dates of `events`.
fn dates(events: &[Event]) -> impl Iterator<Item = i32> + '_ {
    events.iter().map(|e| e.date).filter(|&d| d != NULL_I32)
}

/// Whether row `r` satisfies a value attribute (a null never does).
#[inline]
fn attribute(ev: &Events, r: usize, a: &RowAttr) -> bool {
    match a {
        RowAttr::Number(c) => {
            let v = ev.value(r);
            !v.is_nan() && c.test(v)
        }
        RowAttr::ValueConcept(set) => {
            ev.value_concept.get(r).is_some_and(|v| *v != NULL_I32 && set.binary_search(v).is_ok())
        }
        RowAttr::ValueSource(set) => {
            ev.value_source.get(r).is_some_and(|v| *v != NULL_I32 && set.binary_search(v).is_ok())
        }
    }
}

/// Keeps the events of the (person, concept) pairs whose event count satisfies every comparison.
fn occurrences(events: &mut Vec<Event>, counts: &[Cmp<f64>]) {
    events.sort_unstable_by_key(|e| (e.person, e.concept));
    let mut keep = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        let (p, c) = (events[i].person, events[i].concept);
        let end = i + events[i..].partition_point(|e| e.person == p && e.concept == c);
        let n = (end - i) as f64;
        if counts.iter().all(|cmp| cmp.test(n)) {
            keep.extend_from_slice(&events[i..end]);
        }
        i = end;
    }
    *events = keep;
}
