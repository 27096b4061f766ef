//! Exports of disclosed statistics tables: CSV and JSON, each opening with the policy that made
//! its numbers. Only [`DisclosedTable`]s can be exported, so no raw count can reach a file.

use crate::privacy::DisclosedTable;

/// The table as CSV (RFC 4180, CRLF line ends): a header line naming the table and the policy
/// (`# cohortlens: <title>; policy: <policy>`), the column names, then one line per row with
/// its labels, the shown count (empty when withheld), its label and the percent.
pub fn to_csv(table: &DisclosedTable) -> String {
    let mut out = format!(
        "# cohortlens: {}; policy: {}\r\n",
        table.title.replace(['\r', '\n'], " "),
        table.policy.name()
    );
    let header: Vec<&str> =
        table.dimensions.iter().map(String::as_str).chain(["count", "count_label", "percent"]).collect();
    push_line(&mut out, header.iter().copied());
    for row in &table.rows {
        let count = row.count.value().map(|v| v.to_string()).unwrap_or_default();
        let percent = row.percent.map(|p| format!("{p:.1}")).unwrap_or_default();
        let fields = row.labels.iter().map(String::as_str).chain([
            count.as_str(),
            row.count.label(),
            percent.as_str(),
        ]);
        push_line(&mut out, fields);
    }
    let total = table.total.value().map(|v| v.to_string()).unwrap_or_default();
    let mut fields = vec!["Total".to_owned()];
    fields.resize(table.dimensions.len().max(1), String::new());
    fields.extend([total, table.total.label().to_owned(), String::new()]);
    push_line(&mut out, fields.iter().map(String::as_str));
    out
}

/// The table as pretty JSON: `{"policy", "name", "title", "dimensions", "rows", "total"}`.
pub fn to_json(table: &DisclosedTable) -> String {
    // Serializing plain strings, numbers and vectors cannot fail.
    serde_json::to_string_pretty(table).unwrap_or_default()
}

fn push_line<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    let quoted: Vec<String> = fields.map(quote).collect();
    out.push_str(&quoted.join(","));
    out.push_str("\r\n");
}

/// A CSV field, quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-` or
/// `@` is prefixed with `'` so spreadsheets do not run it as a formula.
fn quote(field: &str) -> String {
    let field = match field.chars().next() {
        Some('=' | '+' | '-' | '@') if field.parse::<f64>().is_err() => format!("'{field}"),
        _ => field.to_owned(),
    };
    if field.contains([',', '"', '\r', '\n']) { format!("\"{}\"", field.replace('"', "\"\"")) } else { field }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::{PercentOf, Policy, Tally, TallyRow, TallyTable};

    fn disclosed(policy: Policy) -> DisclosedTable {
        let row = |label: &str, n: u64, key: u64| TallyRow {
            labels: vec![label.into()],
            tally: Tally::new(n, key),
            of: None,
        };
        policy.disclose_table(&TallyTable {
            name: "answers".into(),
            title: "Smoking, \"100 cigarettes\"".into(),
            dimensions: vec!["Answer".into()],
            rows: vec![row("Yes, daily", 7, 1), row("=No", 45, 2), row("-1", 60, 3)],
            total: Tally::new(150, 4),
            remainder: Some("Did not answer".into()),
            rank: None,
            percent_of: PercentOf::Total,
        })
    }

    #[test]
    fn csv_names_the_policy_quotes_fields_and_defuses_formulas() {
        let csv = to_csv(&disclosed(Policy::Aou));
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "# cohortlens: Smoking, \"100 cigarettes\"; policy: aou");
        assert_eq!(lines[1], "Answer,count,count_label,percent");
        assert_eq!(lines[2], "\"Yes, daily\",20,≤ 20,12.5");
        assert_eq!(lines[3], "'=No,60,60,37.5");
        assert_eq!(lines[4], "-1,60,60,37.5");
        assert_eq!(lines[5], "Did not answer,20,20,12.5");
        assert_eq!(lines[6], "Total,160,160,");
        assert_eq!(lines[7], "");
    }

    #[test]
    fn csv_leaves_withheld_counts_empty() {
        let csv = to_csv(&disclosed(Policy::Suppress));
        assert!(csv.contains("\"Yes, daily\",,≤ 20,\r\n"), "{csv}");
        assert!(csv.starts_with("# cohortlens: Smoking, \"100 cigarettes\"; policy: suppress\r\n"));
    }

    #[test]
    fn json_carries_the_policy_and_disclosed_values_only() {
        let json: serde_json::Value = serde_json::from_str(&to_json(&disclosed(Policy::Aou))).unwrap();
        assert_eq!(json["policy"], "aou");
        assert_eq!(
            json["rows"][0]["count"],
            serde_json::json!({"value": 20, "label": "≤ 20", "policy": "aou"})
        );
        assert_eq!(json["total"]["value"], 160);
    }
}
