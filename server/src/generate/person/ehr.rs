//! The EHR: visits, conditions, drugs, procedures, devices, screenings, labs and tobacco status,
//! following the participant's latent health.

use super::*;

impl Sim<'_> {
    // -----------------------------------------------------------------------------------------
    // EHR.

    pub(super) fn add_visit(&mut self, day: i32, kind: Kind, period_end: i32) -> Visit {
        let (concept, source, micros) = match kind {
            Kind::Outpatient => (vocab::OUTPATIENT, "OP", self.at(day, 8, 17)),
            Kind::Emergency => (vocab::EMERGENCY, "ER", self.at(day, 0, 24)),
            Kind::Inpatient => (vocab::INPATIENT, "IP", self.at(day, 0, 24)),
        };
        let (end, end_micros) = match kind {
            Kind::Outpatient => (day, micros + self.rng.random_range(15..90) * MINUTE_MICROS),
            Kind::Emergency => {
                let end_micros = micros + self.rng.random_range(2..14) * HOUR_MICROS;
                ((end_micros / DAY_MICROS) as i32, end_micros)
            }
            Kind::Inpatient => {
                let end = (day + self.rng.random_range(1..=7)).min(period_end).max(day);
                (end, self.at(end, 9, 15).max(micros + HOUR_MICROS))
            }
        };
        let (end, end_micros) = if end > period_end {
            (period_end, end_micros.min(i64::from(period_end + 1) * DAY_MICROS - MINUTE_MICROS))
        } else {
            (end, end_micros)
        };
        let local = self.out.visits.len() as u32;
        self.out.visits.push(VisitRow {
            person_id: self.p.id,
            concept,
            start: day,
            start_micros: micros,
            end,
            end_micros,
            source,
        });
        let visit = Visit { date: day, end, micros, kind, local };
        self.visits.push(visit);
        visit
    }

    pub(super) fn ehr(&mut self, (start, end): (i32, i32)) {
        let p = &self.p;
        let years = f64::from(end - start) / 365.25;
        let lambda =
            1.5 + 1.6 * p.condition_count() as f64 + 0.4 * years + if p.age >= 65 { 1.5 } else { 0.0 };
        self.out.periods.push(PeriodRow { person_id: p.id, start, end });

        // Onsets: recorded conditions are mostly found early in the record.
        for c in Cond::ALL {
            if self.p.has(c) {
                let u = self.rng.random::<f64>().powf(1.5);
                self.onset[c as usize] = Some(start + (f64::from(end - start) * u) as i32);
            }
        }
        // Routine visits.
        let n = self.poisson(lambda) + 1;
        for _ in 0..n {
            let day = self.between(start, end);
            let kind = match self.rng.random::<f64>() {
                x if x < 0.85 => Kind::Outpatient,
                x if x < 0.96 => Kind::Emergency,
                _ => Kind::Inpatient,
            };
            self.add_visit(day, kind, end);
        }
        for c in Cond::ALL {
            if let Some(onset) = self.onset[c as usize] {
                self.condition(c, onset, end);
            }
        }
        self.screening(end);
        self.acute_prescriptions(end);
        self.labs();
        self.tobacco_status();
    }

    pub(super) fn condition(&mut self, c: Cond, onset: i32, end: i32) {
        let def = c.def();
        let first = match def.course {
            Course::Acute => {
                let kind = if self.chance(0.6) { Kind::Emergency } else { Kind::Inpatient };
                self.add_visit(onset, kind, end)
            }
            Course::Chronic => {
                match self
                    .visits
                    .iter()
                    .filter(|v| v.date >= onset && v.date <= onset + 180)
                    .min_by_key(|v| v.date)
                {
                    Some(v) => *v,
                    None => self.add_visit(onset, Kind::Outpatient, end),
                }
            }
        };
        let mut coded = vec![first];
        match def.course {
            Course::Chronic => {
                for i in 0..self.visits.len() {
                    let v = self.visits[i];
                    if v.date > first.date && self.chance(def.recur) {
                        coded.push(v);
                    }
                }
            }
            Course::Acute => {
                for _ in 0..self.rng.random_range(0..=2) {
                    let day = first.end + self.rng.random_range(7..=60);
                    if day <= end {
                        coded.push(self.add_visit(day, Kind::Outpatient, end));
                    }
                }
            }
        }
        for v in &coded {
            let source = if def.icd.len() > 1 && self.chance(0.3) { &def.icd[1] } else { &def.icd[0] };
            self.out.conditions.push(ConditionRow {
                person_id: self.p.id,
                concept: def.id,
                start: v.date,
                end: (def.course == Course::Acute).then_some(v.end),
                visit: v.local,
                source_value: source.code,
                source_concept: source.id,
            });
        }
        for &(ing, share) in def.drugs {
            if self.started & (1 << ing as u64) == 0 && self.chance(share) {
                self.started |= 1 << ing as u64;
                self.prescribe(ing, first, end);
            }
        }
        self.procedures_for(c, &coded, end);
        self.devices_for(c, first, end);
    }

    /// Starts a drug at `visit` and refills it until the patient stops or the record ends.
    pub(super) fn prescribe(&mut self, ing: Ing, visit: Visit, end: i32) {
        let def = ing.def();
        let drug = &def.drugs[self.rng.random_range(0..def.drugs.len())];
        if ing.is_statin() {
            self.statin_since = Some(self.statin_since.map_or(visit.date, |d| d.min(visit.date)));
        }
        if matches!(
            ing,
            Ing::Metformin | Ing::InsulinGlargine | Ing::Glipizide | Ing::Empagliflozin | Ing::Semaglutide
        ) {
            self.diabetes_treated_since =
                Some(self.diabetes_treated_since.map_or(visit.date, |d| d.min(visit.date)));
        }
        let mut day = visit.date;
        let mut prescribing = Some(visit);
        for _ in 0..12 {
            if day > end {
                break;
            }
            let days = drug.days[self.rng.random_range(0..drug.days.len())];
            let refills = if days <= 10 {
                0
            } else if days >= 84 {
                self.rng.random_range(0..=1)
            } else {
                self.rng.random_range(0..=3)
            };
            let quantity = match drug.package {
                Some(lasts) => (f64::from(days) / lasts).ceil().max(1.0),
                None => (drug.per_day * f64::from(days)).round().max(1.0),
            };
            let stop = (day + days * (refills + 1) - 1).min(end);
            self.out.drugs.push(DrugRow {
                person_id: self.p.id,
                concept: drug.id,
                start: day,
                end: stop,
                refills,
                quantity,
                days_supply: days,
                sig: drug.sig,
                route: drug.route,
                visit: prescribing.map(|v| v.local),
                source_value: def.rxcui,
            });
            if days <= 10 || !self.chance(0.88) {
                break;
            }
            day = stop + 1 + self.rng.random_range(0..=14);
            // A renewal is written at the latest visit before it, if any is close.
            prescribing = self
                .visits
                .iter()
                .filter(|v| v.date <= day && v.date + 120 >= day)
                .max_by_key(|v| v.date)
                .copied();
        }
    }

    pub(super) fn procedure(&mut self, code: &Code, visit: Visit) {
        let micros = visit.micros + self.rng.random_range(10..120) * MINUTE_MICROS;
        self.out.procedures.push(ProcedureRow {
            person_id: self.p.id,
            concept: code.id,
            date: visit.date,
            micros,
            visit: visit.local,
            source_value: code.code,
        });
    }

    pub(super) fn procedures_for(&mut self, c: Cond, coded: &[Visit], end: i32) {
        let at = |s: &mut Self| coded[s.rng.random_range(0..coded.len())];
        let plan: &[(&Code, f64)] = match c {
            Cond::ColonCancer => &[(&vocab::COLONOSCOPY, 0.8)],
            Cond::GiHemorrhage => &[(&vocab::EGD, 0.6), (&vocab::COLONOSCOPY, 0.5)],
            Cond::Gerd => &[(&vocab::EGD, 0.1)],
            Cond::HeartFailure => &[(&vocab::ECHO, 0.8), (&vocab::ECG, 0.5)],
            Cond::AtrialFibrillation => &[(&vocab::ECHO, 0.5), (&vocab::ECG, 0.8)],
            Cond::MyocardialInfarction => &[(&vocab::ECG, 0.95), (&vocab::ECHO, 0.6), (&vocab::PCI, 0.5)],
            Cond::CoronaryArteriosclerosis => &[(&vocab::ECG, 0.5), (&vocab::PCI, 0.1)],
            Cond::Copd => &[(&vocab::SPIROMETRY, 0.5)],
            Cond::Asthma => &[(&vocab::SPIROMETRY, 0.2)],
            Cond::Osteoarthritis => &[(&vocab::KNEE_ARTHROPLASTY, 0.05)],
            Cond::SleepApnea => &[(&vocab::POLYSOMNOGRAPHY, 0.6)],
            Cond::ProstateCancer => &[(&vocab::PROSTATE_BIOPSY, 0.7)],
            Cond::Osteoporosis => &[(&vocab::DXA, 0.6)],
            _ => &[],
        };
        for &(code, share) in plan {
            if self.chance(share) {
                let v = at(self);
                self.procedure(code, v);
            }
        }
        if c == Cond::Ckd && self.chance(0.08) {
            // Dialysis sessions three times a week for a while, each its own outpatient visit.
            let first = coded[0].date;
            for k in 0..self.rng.random_range(3..=12) {
                let day = first + 7 + k * 2 + k / 3;
                if day > end {
                    break;
                }
                let v = self.add_visit(day, Kind::Outpatient, end);
                self.procedure(&vocab::HEMODIALYSIS, v);
            }
        }
    }

    pub(super) fn device(&mut self, code: &Code, visit: Visit, quantity: i32, lasts: Option<i32>, end: i32) {
        self.out.devices.push(DeviceRow {
            person_id: self.p.id,
            concept: code.id,
            start: visit.date,
            end: lasts.map(|d| (visit.date + d).min(end)),
            quantity,
            visit: visit.local,
            source_value: code.code,
        });
    }

    pub(super) fn devices_for(&mut self, c: Cond, first: Visit, end: i32) {
        let later: Vec<Visit> = self.visits.iter().filter(|v| v.date >= first.date).copied().collect();
        match c {
            Cond::T2dm | Cond::T1dm => {
                if self.chance(0.4) {
                    self.device(&vocab::GLUCOSE_MONITOR, first, 1, None, end);
                }
                if self.chance(0.5) {
                    for _ in 0..self.rng.random_range(1..=4) {
                        let v = later[self.rng.random_range(0..later.len())];
                        self.device(&vocab::TEST_STRIPS, v, 100, Some(90), end);
                    }
                }
                if (c == Cond::T1dm || self.started & (1 << Ing::InsulinGlargine as u64) != 0)
                    && self.chance(0.35)
                {
                    for _ in 0..self.rng.random_range(2..=6) {
                        let v = later[self.rng.random_range(0..later.len())];
                        self.device(&vocab::CGM_SENSOR, v, 3, Some(30), end);
                    }
                }
            }
            Cond::SleepApnea if self.chance(0.5) => self.device(&vocab::CPAP, first, 1, None, end),
            Cond::Copd if self.chance(0.2) => self.device(&vocab::NEBULIZER, first, 1, None, end),
            Cond::Osteoarthritis if self.chance(0.1) => self.device(&vocab::CANE, first, 1, None, end),
            _ => {}
        }
    }

    pub(super) fn screening(&mut self, end: i32) {
        let outpatient: Vec<Visit> =
            self.visits.iter().filter(|v| v.kind == Kind::Outpatient).copied().collect();
        if outpatient.is_empty() {
            return;
        }
        let birth = self.p.birth;
        let age_at = |v: &Visit| (v.date - birth) / 365;
        let random_visit = |s: &mut Self, min_age: i32| {
            let eligible: Vec<Visit> = outpatient.iter().filter(|v| age_at(v) >= min_age).copied().collect();
            (!eligible.is_empty()).then(|| eligible[s.rng.random_range(0..eligible.len())])
        };
        if self.chance(0.12)
            && let Some(v) = random_visit(self, 45)
        {
            self.procedure(&vocab::COLONOSCOPY, v);
        }
        if self.p.female && self.chance(0.35) {
            for _ in 0..self.rng.random_range(1..=3) {
                if let Some(v) = random_visit(self, 40) {
                    self.procedure(&vocab::MAMMOGRAPHY, v);
                }
            }
        }
        if self.p.female
            && self.chance(0.1)
            && let Some(v) = random_visit(self, 65)
        {
            self.procedure(&vocab::DXA, v);
        }
        if self.chance(0.08)
            && let Some(v) = random_visit(self, 18)
        {
            self.procedure(&vocab::ECG, v);
        }
        if self.p.age >= 80
            && self.chance(0.05)
            && let Some(v) = random_visit(self, 75)
        {
            self.device(&vocab::CANE, v, 1, None, end);
        }
    }

    /// Short courses: antibiotics at some visits, pain relief after emergency visits.
    pub(super) fn acute_prescriptions(&mut self, end: i32) {
        for i in 0..self.visits.len() {
            let v = self.visits[i];
            if self.chance(0.07) {
                let ing = if self.chance(0.6) { Ing::Amoxicillin } else { Ing::Azithromycin };
                self.prescribe(ing, v, end);
            }
            if v.kind == Kind::Emergency && self.chance(0.3) {
                let ing = if self.chance(0.5) { Ing::Ibuprofen } else { Ing::Acetaminophen };
                let drug = &ing.def().drugs[0];
                let days = drug.days[0];
                self.out.drugs.push(DrugRow {
                    person_id: self.p.id,
                    concept: drug.id,
                    start: v.date,
                    end: (v.date + days - 1).min(end),
                    refills: 0,
                    quantity: (drug.per_day * f64::from(days)).round(),
                    days_supply: days,
                    sig: drug.sig,
                    route: drug.route,
                    visit: Some(v.local),
                    source_value: ing.def().rxcui,
                });
            }
        }
    }

    pub(super) fn lab(&mut self, lab: &Lab, v: Visit, value: f64, decimals: i32, range: Option<(f64, f64)>) {
        let micros = v.micros + 30 * MINUTE_MICROS;
        let mut row = self.measurement(lab, v.date, micros, Some(round_to(value, decimals)), range);
        row.visit = Some(v.local);
        self.out.measurements.push(row);
    }

    pub(super) fn labs(&mut self) {
        let female = self.p.female;
        for i in 0..self.visits.len() {
            let v = self.visits[i];
            let d = v.date;
            let op = v.kind == Kind::Outpatient;
            let t2dm = self.p.has(Cond::T2dm);
            let diabetic = self.active(Cond::T2dm, d) || self.active(Cond::T1dm, d);
            let ckd = self.active(Cond::Ckd, d);
            let on_statin = self.statin_since.is_some_and(|s| s <= d);
            let treated = self.diabetes_treated_since.is_some_and(|s| s <= d);
            let lipid_dx = self.active(Cond::Hyperlipidemia, d) || self.active(Cond::Hypercholesterolemia, d);
            let obese = self.p.bmi >= 30.0;

            if op && self.chance(0.25) {
                let sbp = (self.p.sbp + self.normal(0.0, 8.0)).round();
                let dbp = (self.p.dbp + self.normal(0.0, 6.0)).round().min(sbp - 15.0);
                let weight = round_to(self.p.weight() + self.normal(0.0, 1.5), 1);
                let bmi = weight / (self.p.height / 100.0).powi(2);
                self.lab(&vocab::EHR_SYSTOLIC, v, sbp, 0, Some((90.0, 120.0)));
                self.lab(&vocab::EHR_DIASTOLIC, v, dbp, 0, Some((60.0, 80.0)));
                self.lab(&vocab::EHR_WEIGHT, v, weight, 1, None);
                self.lab(&vocab::EHR_BMI, v, bmi, 1, None);
            }
            if self.chance(if op { 0.15 } else { 0.8 }) {
                let glucose =
                    if diabetic { self.normal(155.0, 40.0) } else { self.normal(95.0, 11.0) }.max(55.0);
                self.lab(&vocab::GLUCOSE, v, glucose, 0, Some((70.0, 99.0)));
                let na = self.normal(139.0, 2.5);
                self.lab(&vocab::SODIUM, v, na, 0, Some((135.0, 145.0)));
                let k = self.normal(if ckd { 4.6 } else { 4.2 }, 0.4).max(2.5);
                self.lab(&vocab::POTASSIUM, v, k, 1, Some((3.5, 5.1)));
                let creatinine = if ckd {
                    self.normal(1.9, 0.6).max(1.1)
                } else if female {
                    self.normal(0.78, 0.12)
                } else {
                    self.normal(1.0, 0.15)
                }
                .max(0.3);
                let creatinine_range = if female { (0.5, 1.1) } else { (0.7, 1.3) };
                self.lab(&vocab::CREATININE, v, creatinine, 2, Some(creatinine_range));
                let bun = if ckd { self.normal(32.0, 10.0) } else { self.normal(15.0, 4.0) }.max(3.0);
                self.lab(&vocab::BUN, v, bun, 0, Some((7.0, 20.0)));
            }
            let lipid_share = if lipid_dx || self.active(Cond::CoronaryArteriosclerosis, d) || diabetic {
                0.3
            } else {
                0.08
            };
            if op && self.chance(lipid_share) {
                let ldl = if on_statin {
                    self.normal(85.0, 25.0)
                } else if self.p.has(Cond::Hyperlipidemia) || self.p.has(Cond::Hypercholesterolemia) {
                    self.normal(150.0, 32.0)
                } else {
                    self.normal(112.0, 28.0)
                }
                .max(30.0);
                let hdl = (if female { self.normal(58.0, 13.0) } else { self.normal(47.0, 11.0) }
                    - if t2dm { 5.0 } else { 0.0 })
                .max(20.0);
                let tg = (self.normal(4.7, 0.45).exp()
                    * if t2dm { 1.4 } else { 1.0 }
                    * if obese { 1.25 } else { 1.0 })
                .max(30.0);
                let total = ldl + hdl + tg / 5.0;
                self.lab(&vocab::LDL, v, ldl, 0, Some((0.0, 99.0)));
                self.lab(&vocab::HDL, v, hdl, 0, Some((40.0, 100.0)));
                self.lab(&vocab::TRIGLYCERIDES, v, tg, 0, Some((0.0, 149.0)));
                self.lab(&vocab::TOTAL_CHOLESTEROL, v, total, 0, Some((0.0, 199.0)));
            }
            if op && self.chance(if diabetic { 0.55 } else { 0.07 }) {
                let a1c = if self.active(Cond::T1dm, d) {
                    self.normal(8.0, 1.2)
                } else if diabetic {
                    self.normal(if treated { 7.3 } else { 7.9 }, 1.2)
                } else if t2dm {
                    self.normal(6.1, 0.3)
                } else {
                    self.normal(5.35 + if obese { 0.15 } else { 0.0 }, 0.3)
                }
                .clamp(4.0, 14.0);
                self.lab(&vocab::HBA1C, v, a1c, 1, Some((4.0, 5.6)));
            }
            let anemic = self.active(Cond::Anemia, d);
            if self.chance(if !op {
                0.8
            } else if anemic || ckd {
                0.4
            } else {
                0.12
            }) {
                let base = if female { self.normal(13.2, 1.0) } else { self.normal(14.8, 1.1) };
                let hb = (base - if anemic { 2.5 } else { 0.0 } - if ckd { 1.0 } else { 0.0 }).max(5.0);
                let range = if female { (12.0, 15.5) } else { (13.5, 17.5) };
                self.lab(&vocab::HEMOGLOBIN, v, hb, 1, Some(range));
            }
            if op && self.chance(0.08) {
                let alt = self.normal(3.1, 0.35).exp() * if obese { 1.2 } else { 1.0 };
                self.lab(&vocab::ALT, v, alt, 0, Some((7.0, 56.0)));
            }
            if d >= COVID_START && self.chance(if op { 0.05 } else { 0.5 }) {
                let positive = self.chance(0.1);
                let micros = v.micros + 20 * MINUTE_MICROS;
                let mut row = self.measurement(&vocab::COVID_PCR, d, micros, None, None);
                row.visit = Some(v.local);
                row.value_concept = Some(if positive { vocab::POSITIVE } else { vocab::NEGATIVE });
                row.value_source = Some(if positive { "Positive" } else { "Negative" });
                self.out.measurements.push(row);
            }
        }
    }

    /// EHR observation: tobacco smoking status at the first visit and now and then later.
    pub(super) fn tobacco_status(&mut self) {
        let answer = &vocab::TOBACCO_STATUS.answers[match self.p.smoking {
            Smoking::Current => 0,
            Smoking::Former => 1,
            Smoking::Never => 2,
        }];
        for i in 0..self.visits.len() {
            let v = self.visits[i];
            if v.kind == Kind::Outpatient && self.chance(if i == 0 { 0.5 } else { 0.1 }) {
                self.out.observations.push(ObservationRow {
                    person_id: self.p.id,
                    concept: vocab::TOBACCO_STATUS.id,
                    date: v.date,
                    micros: v.micros + 5 * MINUTE_MICROS,
                    type_concept: vocab::EHR,
                    value_number: None,
                    value_concept: Some(answer.id),
                    visit: Some(v.local),
                    source_value: vocab::TOBACCO_STATUS.code,
                    value_source_value: Some(answer.code),
                });
            }
        }
    }
}
