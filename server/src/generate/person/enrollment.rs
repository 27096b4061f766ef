//! Enrollment data: physical measurements (blood pressure, height, weight, …) and Fitbit days.

use super::*;

impl Sim<'_> {
    // -----------------------------------------------------------------------------------------
    // Program data: physical measurements, surveys, Fitbit.

    pub(super) fn measurement(
        &self,
        lab: &Lab,
        day: i32,
        micros: i64,
        value: Option<f64>,
        range: Option<(f64, f64)>,
    ) -> MeasurementRow {
        MeasurementRow {
            person_id: self.p.id,
            concept: lab.id,
            date: day,
            micros,
            type_concept: vocab::EHR,
            value,
            value_concept: None,
            unit: lab.unit.map(|u| u.id),
            low: range.map(|r| r.0),
            high: range.map(|r| r.1),
            visit: None,
            source_value: lab.code,
            unit_source: lab.unit.map(|u| u.code),
            value_source: None,
        }
    }

    pub(super) fn physical_measurements(&mut self) {
        let day = self.p.enroll;
        let micros = self.at(day, 8, 18);
        let height = round_to(self.p.height + self.normal(0.0, 0.4), 1);
        let weight = round_to(self.p.weight() + self.normal(0.0, 0.8), 1);
        let bmi = round_to(weight / (height / 100.0).powi(2), 1);
        let sbp = (self.p.sbp + self.normal(0.0, 5.0)).round();
        let dbp = (self.p.dbp + self.normal(0.0, 4.0)).round().min(sbp - 15.0);
        let heart_rate = (self.p.heart_rate + self.normal(0.0, 4.0)).round();
        let male = if self.p.female { 0.0 } else { 4.0 };
        let waist = round_to(38.0 + 1.9 * self.p.bmi + male + self.normal(0.0, 4.0), 1);
        let hip = round_to(58.0 + 1.5 * self.p.bmi + (4.0 - male) + self.normal(0.0, 4.0), 1);
        let items = [
            (&vocab::PM_HEIGHT, height, 0.99),
            (&vocab::PM_WEIGHT, weight, 0.99),
            (&vocab::PM_BMI, bmi, 0.99),
            (&vocab::PM_SYSTOLIC, sbp, 0.98),
            (&vocab::PM_DIASTOLIC, dbp, 0.98),
            (&vocab::PM_HEART_RATE, heart_rate, 0.98),
            (&vocab::PM_WAIST, waist, 0.92),
            (&vocab::PM_HIP, hip, 0.92),
        ];
        let mut bp_taken = true;
        for (lab, value, share) in items {
            // Both blood pressures or neither.
            let taken = if lab.id == vocab::PM_DIASTOLIC.id { bp_taken } else { self.chance(share) };
            if lab.id == vocab::PM_SYSTOLIC.id {
                bp_taken = taken;
            }
            if taken {
                let mut row = self.measurement(lab, day, micros, Some(value), None);
                row.type_concept = vocab::PHYSICAL_EXAM;
                self.out.measurements.push(row);
            }
        }
    }

    pub(super) fn fitbit(&mut self) {
        let days = self.rng.random_range(30..=120);
        let lo = self.p.enroll.max(FITBIT_START);
        let last = self.p.death.map_or(REFERENCE - 1, |d| d - 1).min(REFERENCE - 1);
        if last - lo + 1 < days {
            return;
        }
        let start = self.between(lo, last - days + 1);
        let p = &self.p;
        let (age, weight, height, female) = (f64::from(p.age), p.weight(), p.height, p.female);
        let sick = p.has(Cond::HeartFailure) || p.has(Cond::Copd);
        let obese = p.bmi >= 30.0;
        let resting = p.heart_rate - 4.0;
        let mean_steps = (9800.0
            - 70.0 * (age - 40.0)
            - if obese { 1800.0 } else { 0.0 }
            - if sick { 1500.0 } else { 0.0 }
            + self.normal(0.0, 1800.0))
        .clamp(1500.0, 17000.0);
        let bmr = 10.0 * weight + 6.25 * height - 5.0 * age + if female { -161.0 } else { 5.0 };
        let max_hr = 220.0 - age;
        let zone = |share: f64| (share * max_hr).round() as i32;
        let kcal = weight / 70.0;
        for d in 0..days {
            let day = start + d;
            let weekend = matches!((day + 4).rem_euclid(7), 0 | 6); // 1970-01-01 was a Thursday
            let worn_little = self.chance(0.03);
            let factor = if weekend { 0.85 } else { 1.0 } * if worn_little { 0.05 } else { 1.0 };
            let steps = (mean_steps * factor * self.normal(0.0, 0.35).exp()).round().clamp(0.0, 40_000.0);
            let activity = steps / 10_000.0;
            let very = (25.0 * activity * self.uniform(0.3, 1.7)).round();
            let fairly = (20.0 * activity * self.uniform(0.5, 1.5)).round();
            let lightly =
                ((150.0 + 130.0 * activity) * self.uniform(0.7, 1.3) * if worn_little { 0.2 } else { 1.0 })
                    .round();
            let asleep = self.uniform(400.0, 540.0).round();
            let sedentary = (1440.0 - asleep - very - fairly - lightly).max(0.0);
            let calories = (bmr * 1.15 + steps * 0.04 * kcal + very * 8.0 + fairly * 5.0).round();
            let person_id = self.p.id;
            self.out.activity.push(ActivityRow {
                person_id,
                date: day,
                steps: steps as i64,
                calories,
                sedentary: sedentary as i32,
                lightly: lightly as i32,
                fairly: fairly as i32,
                very: very as i32,
            });
            let peak = (very * 0.2 * self.uniform(0.0, 1.0)).round();
            let cardio = (very * 0.6 + fairly * 0.2).round();
            let fat_burn = (fairly * 0.8 + lightly * 0.3).round();
            let off_wrist = self.uniform(60.0, 240.0).round();
            let out_of_range = (1440.0 - off_wrist - peak - cardio - fat_burn).max(0.0);
            let rest_min = (resting - 12.0).round().max(35.0) as i32;
            for (name, min, max, minutes, per_minute) in [
                ("Out of Range", rest_min, zone(0.5) - 1, out_of_range, 1.1),
                ("Fat Burn", zone(0.5), zone(0.7) - 1, fat_burn, 4.5),
                ("Cardio", zone(0.7), zone(0.85) - 1, cardio, 8.0),
                ("Peak", zone(0.85), 220, peak, 11.0),
            ] {
                self.out.heart_rate.push(HeartRateRow {
                    person_id,
                    date: day,
                    zone: name,
                    min,
                    max,
                    minutes: minutes as i32,
                    calories: round_to(minutes * per_minute * kcal, 2),
                });
            }
        }
    }
}
