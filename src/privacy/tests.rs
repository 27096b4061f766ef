//! Tests of the disclosure rules.

use super::tally::mix;
use super::*;

fn shown(raw: u64) -> (u64, String) {
    let d = Policy::Aou.disclose(Tally::new(raw, 0));
    (d.value().unwrap(), d.label().to_owned())
}

#[test]
fn zero_is_shown_as_zero() {
    assert_eq!(shown(0), (0, "0".to_owned()));
}

#[test]
fn one_to_twenty_show_as_at_most_twenty() {
    for raw in 1..=20 {
        assert_eq!(shown(raw), (20, "≤ 20".to_owned()), "raw {raw}");
    }
}

#[test]
fn above_twenty_rounds_up_to_the_next_multiple_of_twenty() {
    assert_eq!(shown(21), (40, "40".to_owned()));
    assert_eq!(shown(39), (40, "40".to_owned()));
    assert_eq!(shown(40), (40, "40".to_owned()));
    assert_eq!(shown(41), (60, "60".to_owned()));
    assert_eq!(shown(99_981), (100_000, "100000".to_owned()));
    for raw in 21..2_000 {
        let (value, _) = shown(raw);
        assert!(value >= raw && value < raw + 20 && value % 20 == 0, "raw {raw} → {value}");
    }
    assert_eq!(shown(u64::MAX).0 % 20, 0);
}

#[test]
fn suppress_withholds_one_to_twenty_and_shows_the_rest_exactly() {
    let d = Policy::Suppress.disclose(Tally::new(0, 0));
    assert_eq!((d.value(), d.label()), (Some(0), "0"));
    for raw in 1..=20 {
        let d = Policy::Suppress.disclose(Tally::new(raw, 0));
        assert_eq!((d.value(), d.label()), (None, "≤ 20"), "raw {raw}");
    }
    for raw in [21, 22, 39, 12_345] {
        let d = Policy::Suppress.disclose(Tally::new(raw, 0));
        assert_eq!((d.value(), d.label()), (Some(raw), raw.to_string().as_str()));
    }
}

#[test]
fn perturbed_is_a_function_of_the_key_and_never_shows_one_to_nineteen() {
    let keys = PersonKeys::new(&(1..=500).collect::<Vec<i64>>());
    let mut moved = 0;
    for n in 0..500u32 {
        let t = Tally::of(0..n, &keys);
        let d = Policy::Perturbed.disclose(t);
        assert_eq!(d, Policy::Perturbed.disclose(Tally::of((0..n).rev(), &keys)), "order must not matter");
        let v = d.value().unwrap();
        assert!(v.is_multiple_of(20) && (n == 0) == (v == 0), "n {n} → {v}");
        assert!(v + 20 >= u64::from(n).saturating_sub(PERTURBATION as u64), "n {n} → {v}");
        moved += usize::from(Some(v) != Policy::Aou.disclose(t).value());
    }
    // The noise really changes the rounded value for a good share of counts.
    assert!(moved > 50, "perturbation changed only {moved} of 500 counts");
}

#[test]
fn person_keys_sum_to_a_key_of_the_set() {
    let keys = PersonKeys::new(&[10, 20, 30]);
    assert_eq!(Tally::of([0, 2], &keys), Tally::of([2, 0], &keys));
    assert_ne!(Tally::of([0, 2], &keys).key, Tally::of([0, 1], &keys).key);
    assert_eq!(Tally::of([0, 2], &keys).count, 2);
}

#[test]
fn policies_parse_by_name() {
    assert_eq!(Policy::from_name("aou"), Ok(Policy::Aou));
    assert_eq!(Policy::from_name("suppress"), Ok(Policy::Suppress));
    assert_eq!(Policy::from_name("perturbed"), Ok(Policy::Perturbed));
    let e = Policy::from_name("exact").unwrap_err().to_string();
    assert!(e.contains("\"exact\"") && e.contains("aou"), "{e}");
}

fn table(dimensions: &[&str], rows: &[(&[&str], u64)], total: u64, remainder: Option<&str>) -> TallyTable {
    // Distinct keys per cell, as distinct person sets would have.
    TallyTable {
        name: "t".into(),
        title: "T".into(),
        dimensions: dimensions.iter().map(|d| d.to_string()).collect(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, (labels, n))| TallyRow {
                labels: labels.iter().map(|l| l.to_string()).collect(),
                tally: Tally::new(*n, mix(i as u64 + 1)),
                of: None,
            })
            .collect(),
        total: Tally::new(total, mix(999)),
        remainder: remainder.map(str::to_owned),
        rank: None,
        percent_of: PercentOf::Total,
    }
}

fn shown_cells(t: &DisclosedTable) -> Vec<(Option<u64>, String)> {
    t.rows.iter().map(|r| (r.count.value(), r.count.label().to_owned())).collect()
}

#[test]
fn aou_table_rounds_cells_and_derives_the_remainder_from_disclosed_numbers() {
    let t = table(&["Answer"], &[(&["Yes"], 5), (&["No"], 30), (&["Skip"], 0)], 95, Some("Did not answer"));
    let d = Policy::Aou.disclose_table(&t);
    let cells: Vec<Option<u64>> = shown_cells(&d).into_iter().map(|c| c.0).collect();
    // 100 − (20 + 40 + 0) = 40 (the raw remainder is 60: derived from disclosed numbers only).
    assert_eq!(cells, [Some(20), Some(40), Some(0), Some(40)]);
    assert_eq!(d.rows[3].labels, ["Did not answer"]);
    assert_eq!(d.total.value(), Some(100));
    assert_eq!(
        d.rows.iter().map(|r| r.percent).collect::<Vec<_>>(),
        [Some(20.0), Some(40.0), Some(0.0), Some(40.0)]
    );
    // The remainder is floored at 20 even when the disclosed cells exceed the total.
    let t = table(&["Answer"], &[(&["Yes"], 21), (&["No"], 21)], 42, Some("Did not answer"));
    assert_eq!(Policy::Aou.disclose_table(&t).rows[2].count.value(), Some(20));
}

#[test]
fn suppress_table_withholds_a_second_cell_so_the_first_cannot_be_recovered() {
    let t = table(&["Sex"], &[(&["Female"], 5), (&["Male"], 30), (&["Other"], 45)], 80, None);
    let d = Policy::Suppress.disclose_table(&t);
    assert_eq!(
        shown_cells(&d),
        [(None, "≤ 20".to_owned()), (None, "suppressed".to_owned()), (Some(45), "45".to_owned())]
    );
    assert_eq!(d.total.value(), Some(80));
    // Two withheld cells, or none: nothing else is withheld.
    let t = table(&["Sex"], &[(&["Female"], 5), (&["Male"], 7), (&["Other"], 45)], 57, None);
    assert_eq!(shown_cells(&Policy::Suppress.disclose_table(&t))[2].0, Some(45));
}

#[test]
fn suppress_cross_table_protects_every_row_and_column() {
    // A 2 × 3 Age × Sex table with one small cell: its row and its column each need a second
    // withheld cell, and those in turn need partners.
    let rows: &[(&[&str], u64)] = &[
        (&["18–44", "F"], 3),
        (&["18–44", "M"], 50),
        (&["18–44", "X"], 60),
        (&["45–64", "F"], 70),
        (&["45–64", "M"], 80),
        (&["45–64", "X"], 90),
    ];
    let d = Policy::Suppress.disclose_table(&table(&["Age", "Sex"], rows, 353, None));
    let withheld = |i: usize| d.rows[i].count.value().is_none();
    for line in [[0, 1, 2].as_slice(), &[3, 4, 5], &[0, 3], &[1, 4], &[2, 5]] {
        let n = line.iter().filter(|&&i| withheld(i)).count();
        assert!(n != 1, "line {line:?} has a single withheld cell: {:?}", shown_cells(&d));
    }
    assert!(withheld(0));
}

#[test]
fn perturbed_table_perturbs_cells_and_margin_each_by_its_own_key() {
    let t = table(&["Race"], &[(&["A"], 300), (&["B"], 300)], 600, None);
    let d = Policy::Perturbed.disclose_table(&t);
    for row in &d.rows {
        let v = row.count.value().unwrap();
        assert!(v % 20 == 0 && (280..=320).contains(&v), "{v}");
    }
    // Same persons (same key) → same number, in any table.
    assert_eq!(d.rows[0].count, Policy::Perturbed.disclose(t.rows[0].tally));
    assert_eq!(d.total, Policy::Perturbed.disclose(t.total));
}

#[test]
fn rankings_follow_the_disclosed_counts_under_every_policy() {
    // 60 concepts of 100–159 persons, each its own person set: under `perturbed` the noise
    // reorders them, so a ranking by raw counts would contradict the numbers shown.
    let rows: Vec<TallyRow> = (0..60u64)
        .map(|i| TallyRow::new(vec![format!("c{i:02}")], Tally::new(100 + i, mix(i + 7))))
        .collect();
    let ranking = TallyTable {
        name: "top_concepts".into(),
        title: "Top".into(),
        dimensions: vec!["Concept".into()],
        rows,
        total: Tally::new(5_000, mix(1)),
        remainder: None,
        rank: Some(25),
        percent_of: PercentOf::Total,
    };
    for policy in [Policy::Aou, Policy::Suppress, Policy::Perturbed] {
        let shown = policy.disclose_table(&ranking);
        assert_eq!(shown.rows.len(), 25, "{policy:?} keeps the ranking's length");
        let values: Vec<Option<u64>> = shown.rows.iter().map(|r| r.count.value()).collect();
        for (i, pair) in values.windows(2).enumerate() {
            assert!(pair[0] >= pair[1], "{policy:?}: row {} shows {:?} above {:?}", i + 1, pair[0], pair[1]);
        }
        // Equal counts keep the given (label) order.
        for pair in shown.rows.windows(2) {
            if pair[0].count.value() == pair[1].count.value() {
                assert!(
                    pair[0].labels < pair[1].labels,
                    "{policy:?}: {:?}",
                    (&pair[0].labels, &pair[1].labels)
                );
            }
        }
        // The raw cells in the shown order, for native callers that print both.
        let ranked = policy.ranked(&ranking);
        let relabelled: Vec<&Vec<String>> = ranked.rows.iter().map(|r| &r.labels).collect();
        assert_eq!(relabelled, shown.rows.iter().map(|r| &r.labels).collect::<Vec<_>>());
    }
    // Under `perturbed` the shown order is not the raw order: ranking by raw counts would have
    // put some row above one shown larger.
    let perturbed = Policy::Perturbed.ranked(&ranking);
    let raw: Vec<u64> = perturbed.rows.iter().map(|r| r.tally.count).collect();
    assert!(raw.windows(2).any(|p| p[0] < p[1]), "the noise reordered nothing: {raw:?}");
}

#[test]
fn disclosure_never_shows_one_to_nineteen_under_any_policy() {
    for policy in [Policy::Aou, Policy::Suppress, Policy::Perturbed] {
        for raw in 0..200u64 {
            for key in 0..20u64 {
                let d = policy.disclose(Tally::new(raw, mix(key)));
                let v = d.value();
                assert!(!matches!(v, Some(1..=19)), "{policy:?} raw {raw} → {v:?}");
                assert!(!(1..=19).any(|n| d.label() == n.to_string()), "{policy:?} raw {raw}");
            }
        }
    }
}

#[test]
fn serializes_value_label_and_policy_only() {
    let json = serde_json::to_value(Policy::Aou.disclose(Tally::new(7, 0))).unwrap();
    assert_eq!(json, serde_json::json!({"value": 20, "label": "≤ 20", "policy": "aou"}));
}
#[test]
fn disclosed_values_read_back_only_in_a_form_their_policy_makes() {
    let read = |v: serde_json::Value| serde_json::from_value::<Disclosed>(v).map_err(|e| e.to_string());
    for policy in [Policy::Aou, Policy::Suppress, Policy::Perturbed] {
        for raw in [0, 1, 19, 20, 21, 40, 41, 12_345] {
            let d = policy.disclose(Tally::new(raw, mix(raw)));
            assert_eq!(read(serde_json::to_value(&d).unwrap()), Ok(d), "{policy:?} {raw}");
        }
    }
    use serde_json::json;
    for bad in [
        json!({"value": 7, "label": "7", "policy": "aou"}),
        json!({"value": 7, "label": "7", "policy": "suppress"}),
        json!({"value": 20, "label": "20", "policy": "suppress"}),
        json!({"value": 40, "label": "60", "policy": "aou"}),
        json!({"value": null, "label": "≤ 20", "policy": "aou"}),
        json!({"value": null, "label": "7", "policy": "suppress"}),
        json!({"value": 40, "label": "40", "policy": "exact"}),
        json!({"value": 40, "label": "40", "policy": "aou", "raw": 37}),
    ] {
        assert!(read(bad.clone()).is_err(), "{bad} was accepted");
    }
    let e = read(json!({"value": 7, "label": "7", "policy": "aou"})).unwrap_err();
    assert!(e.contains("exactly as cohortlens returned them"), "{e}");
}

#[test]
fn disclosed_tables_read_back_with_percents_from_their_cells() {
    let t = table(&["Sex"], &[(&["Female"], 5), (&["Male"], 30), (&["Other"], 45)], 80, None);
    for policy in [Policy::Aou, Policy::Suppress, Policy::Perturbed] {
        let d = policy.disclose_table(&t);
        let back: DisclosedTable = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }
    let mut json = serde_json::to_value(Policy::Aou.disclose_table(&t)).unwrap();
    json["rows"][1]["percent"] = serde_json::json!(99.0);
    let back: DisclosedTable = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back.rows[1].percent, Some(50.0), "percents are computed again");
    json["rows"][1]["count"] = serde_json::json!({"value": 40, "label": "40", "policy": "suppress"});
    let e = serde_json::from_value::<DisclosedTable>(json).unwrap_err().to_string();
    assert!(e.contains("marked aou"), "{e}");
}

#[test]
fn row_and_group_percents_use_disclosed_numbers_and_survive_json() {
    let row = |labels: &[&str], n: u64, of: Option<u64>, k: u64| TallyRow {
        labels: labels.iter().map(|l| l.to_string()).collect(),
        tally: Tally::new(n, mix(k)),
        of: of.map(|o| Tally::new(o, mix(k + 100))),
    };
    let by_row = TallyTable {
        name: "data_browser_sex".into(),
        title: "Sex".into(),
        dimensions: vec!["Sex".into()],
        // 45 → 60 of 130 → 140: 42.86 % shows as 43; 5 → 20 of 0: no percent.
        rows: vec![row(&["Female"], 45, Some(130), 1), row(&["Male"], 5, Some(0), 2)],
        total: Tally::new(50, mix(9)),
        remainder: None,
        rank: None,
        percent_of: PercentOf::Row,
    };
    let shown = Policy::Aou.disclose_table(&by_row);
    assert_eq!(shown.rows[0].of.as_ref().and_then(Disclosed::value), Some(140));
    assert_eq!(shown.rows.iter().map(|r| r.percent).collect::<Vec<_>>(), [Some(43.0), None]);
    let json = serde_json::to_string(&shown).unwrap();
    assert!(json.contains("\"percentOf\":\"row\""), "{json}");
    assert_eq!(serde_json::from_str::<DisclosedTable>(&json).unwrap(), shown);
    let no_of = json.replace("\"of\":", "\"ignored\":");
    assert!(serde_json::from_str::<DisclosedTable>(&no_of).is_err(), "a row percent needs its denominator");
    // Group: 41 → 60 and 20 → 20 in one age group (80): 75.0 % and 25.0 %; 7 → 20 alone: 100 %.
    let by_group = TallyTable {
        rows: vec![
            row(&["18-29", "Male"], 41, None, 3),
            row(&["18-29", "Female"], 20, None, 4),
            row(&["30-39", "Male"], 7, None, 5),
        ],
        percent_of: PercentOf::Group,
        dimensions: vec!["Age".into(), "Sex".into()],
        ..by_row
    };
    let shown = Policy::Aou.disclose_table(&by_group);
    assert_eq!(
        shown.rows.iter().map(|r| r.percent).collect::<Vec<_>>(),
        [Some(75.0), Some(25.0), Some(100.0)]
    );
    // Question: ranked by disclosed count, percents of the disclosed total to two decimals:
    // 300 and 40 of 700.
    let by_question = TallyTable {
        rows: vec![row(&["Asian"], 40, None, 6), row(&["White"], 300, None, 7)],
        total: Tally::new(700, mix(10)),
        rank: Some(usize::MAX),
        percent_of: PercentOf::Answered,
        dimensions: vec!["Race / ethnicity".into()],
        ..by_group
    };
    let shown = Policy::Aou.disclose_table(&by_question);
    let rows: Vec<(&str, Option<f64>)> =
        shown.rows.iter().map(|r| (r.labels[0].as_str(), r.percent)).collect();
    assert_eq!(rows, [("White", Some(42.86)), ("Asian", Some(5.71))]);
    let plain = Policy::Aou.disclose_table(&table(&["A"], &[(&["x"], 30)], 100, None));
    assert!(!serde_json::to_string(&plain).unwrap().contains("percentOf"), "the default is not written");
}
