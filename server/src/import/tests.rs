//! Imports of small hand-made source directories.

use std::fs::{self, File};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Date32Array, Float64Array, Int64Array, RecordBatchReader, StringArray};
use arrow_schema::{Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::*;

/// A fresh, empty directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("cl-import-{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::create_dir_all(dir.join("out")).unwrap();
        Self(dir)
    }
    fn src(&self) -> PathBuf {
        self.0.join("src")
    }
    fn out(&self) -> PathBuf {
        self.0.join("out").join("ds")
    }
    fn write(&self, file: &str, text: &str) {
        fs::write(self.src().join(file), text).unwrap();
    }
    fn write_parquet(&self, file: &str, batch: &RecordBatch) {
        let f = File::create(self.src().join(file)).unwrap();
        let mut w = ArrowWriter::try_new(f, batch.schema(), None).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
    }
    fn options(&self) -> Options {
        Options { from: self.src(), out: self.out(), name: None, reference_date: None, force: false }
    }
    /// Runs the import expecting failure; checks nothing was left in the output's parent.
    fn fails(&self) -> String {
        let err = run(&self.options()).expect_err("import should fail").to_string();
        assert_eq!(fs::read_dir(self.0.join("out")).unwrap().count(), 0, "output left behind after: {err}");
        err
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn read(dir: &Path, table: &str) -> RecordBatch {
    let f = File::open(dir.join(format!("{table}.parquet"))).unwrap();
    let mut reader =
        ParquetRecordBatchReaderBuilder::try_new(f).unwrap().with_batch_size(1 << 20).build().unwrap();
    let schema = reader.schema();
    reader.next().map(Result::unwrap).unwrap_or_else(|| RecordBatch::new_empty(schema))
}

const PERSON_CSV: &str = "PERSON_ID,Gender_Concept_Id,YEAR_OF_BIRTH,BIRTH_DATETIME,RACE_CONCEPT_ID,ETHNICITY_CONCEPT_ID,LOCATION_ID\n\
                          1,8507,1970.0,1970-03-04,8527,0,x\n\
                          2,8532,1985,,8516,38003564,\n";
const CONCEPT_CSV: &str = "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code\n\
                           201826,Type 2 diabetes mellitus,Condition,SNOMED,Clinical Finding,S,44054006\n";
const ANCESTOR_CSV: &str = "ancestor_concept_id,descendant_concept_id,min_levels_of_separation,max_levels_of_separation\n\
                            201826,201826,0,0\n";

/// The three required tables, as CSV.
fn minimal(name: &str) -> TempDir {
    let t = TempDir::new(name);
    t.write("person.csv", PERSON_CSV);
    t.write("concept.csv", CONCEPT_CSV);
    t.write("concept_ancestor.csv", ANCESTOR_CSV);
    t.write("observation_period.csv", "observation_period_id,person_id,observation_period_start_date,observation_period_end_date\n1,1,2010-01-01,2019-07-03\n");
    t
}

/// A CSV value that is not UTF-8 is an error naming the table, never a value.
#[test]
fn a_csv_value_that_is_not_utf8_is_a_clear_error() {
    let t = minimal("not-utf8");
    fs::write(t.src().join("death.csv"), b"person_id,death_date\n\x9f99,2020-01-01\n").unwrap();
    let err = t.fails();
    assert!(err.contains("death") && err.to_lowercase().contains("utf"), "{err}");
}

#[test]
fn import_error_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<ImportError>();
}

#[test]
fn imports_any_letter_case_coerces_types_and_fills_every_table() {
    let t = TempDir::new("full");
    t.write("PERSON.CSV", PERSON_CSV);
    // Parquet with Eunomia's types: BIGINT concept ids, DOUBLE ancestor ids, DATE columns.
    let concept = RecordBatch::try_from_iter([
        ("CONCEPT_ID", Arc::new(Int64Array::from(vec![201826, 9201])) as ArrayRef),
        ("CONCEPT_NAME", Arc::new(StringArray::from(vec!["Type 2 diabetes mellitus", "Inpatient Visit"]))),
        ("DOMAIN_ID", Arc::new(StringArray::from(vec!["Condition", "Visit"]))),
        ("VOCABULARY_ID", Arc::new(StringArray::from(vec!["SNOMED", "Visit"]))),
        ("CONCEPT_CLASS_ID", Arc::new(StringArray::from(vec!["Clinical Finding", "Visit"]))),
        ("STANDARD_CONCEPT", Arc::new(StringArray::from(vec![Some("S"), None]))),
        ("CONCEPT_CODE", Arc::new(StringArray::from(vec!["44054006", "IP"]))),
        ("VALID_START_DATE", Arc::new(Date32Array::from(vec![0, 0]))),
    ])
    .unwrap();
    t.write_parquet("Concept.Parquet", &concept);
    let ancestor = RecordBatch::try_from_iter([
        ("ANCESTOR_CONCEPT_ID", Arc::new(Float64Array::from(vec![201826.0, 600000010.0])) as ArrayRef),
        ("DESCENDANT_CONCEPT_ID", Arc::new(Int64Array::from(vec![201826, 201826]))),
        ("MIN_LEVELS_OF_SEPARATION", Arc::new(Int64Array::from(vec![0, 1]))),
        ("MAX_LEVELS_OF_SEPARATION", Arc::new(Int64Array::from(vec![0, 1]))),
    ])
    .unwrap();
    t.write_parquet("concept_ancestor.parquet", &ancestor);
    // Tab-separated, YYYYMMDD dates, values as text with a DOUBLE-style id.
    t.write(
        "measurement.tsv",
        "MEASUREMENT_ID\tPERSON_ID\tMEASUREMENT_CONCEPT_ID\tMEASUREMENT_DATE\tMEASUREMENT_DATETIME\tVALUE_AS_NUMBER\n\
         17.0\t1\t3004410\t20190601\t2019-06-01\t7.5\n\
         18.0\t2\t3004410\t20190602\t\t\n",
    );
    // Eunomia's empty tables: generic column names, the real ones in the only row.
    t.write("death.csv", "column0,column1,column2\nPERSON_ID,DEATH_DATE,DEATH_DATETIME\n");
    // The same quirk with a data row after the header row.
    t.write(
        "visit_occurrence.csv",
        "column0,column1,column2,column3,column4\n\
         VISIT_OCCURRENCE_ID,PERSON_ID,VISIT_CONCEPT_ID,VISIT_START_DATE,VISIT_TYPE_CONCEPT_ID\n\
         5,1,9201,2019-07-10,44818517\n",
    );
    t.write("CDM_SOURCE.csv", "CDM_SOURCE_NAME,CDM_VERSION\nSynthea,v5.3.1\n");
    t.write("care_site.csv", "care_site_id\n1\n");

    let manifest = run(&t.options()).unwrap();
    let out = t.out();
    assert_eq!(manifest.name, "src");
    assert_eq!(manifest.cdm_version, "5.3.1");
    assert_eq!(manifest.reference_date, "2019-07-10");
    assert_eq!(manifest.date_shift_note, "dates as in the source");
    assert_eq!(manifest.tables.len(), cdm::TABLES.len());
    for spec in cdm::TABLES {
        let batch = read(&out, spec.name);
        assert_eq!(batch.schema(), spec.schema(), "schema of {}", spec.name);
        assert_eq!(manifest.tables[spec.name].rows, batch.num_rows() as u64, "rows of {}", spec.name);
    }
    let rows = |t: &str| manifest.tables[t].rows;
    assert_eq!((rows("person"), rows("measurement"), rows("death"), rows("visit_occurrence")), (2, 2, 0, 1));
    assert_eq!((rows("drug_exposure"), rows("activity_summary")), (0, 0));

    let person = read(&out, "person");
    assert_eq!(person.column(2).as_primitive::<Int32Type>().values(), &[1970, 1985]);
    let birth = person.column_by_name("birth_datetime").unwrap().as_primitive::<TimestampMicrosecondType>();
    assert_eq!((birth.value(0), birth.is_null(1)), (5_356_800_000_000, true));
    assert_eq!(person.column_by_name("month_of_birth").unwrap().null_count(), 2);

    let measurement = read(&out, "measurement");
    assert_eq!(measurement.column(0).as_primitive::<Int64Type>().values(), &[17, 18]);
    let value = measurement.column_by_name("value_as_number").unwrap().as_primitive::<Float64Type>();
    assert_eq!((value.value(0), value.is_null(1)), (7.5, true));

    // Concepts used by person and visit rows but missing from `concept` are added by name.
    let concept = read(&out, "concept");
    let ids: Vec<i32> = concept.column(0).as_primitive::<Int32Type>().values().to_vec();
    assert_eq!(ids, [201826, 9201, 0, 8507, 8516, 8527, 8532, 38003564, 44818517]);
    let names = concept.column(1).as_string::<i32>();
    assert_eq!((names.value(3), names.value(7)), ("MALE", "Not Hispanic or Latino"));
    // The ancestor row pointing outside `concept` is kept.
    assert_eq!(rows("concept_ancestor"), 2);

    // A second import into the same place needs --force.
    let again = run(&t.options()).unwrap_err();
    assert!(matches!(again, ImportError::Dataset(DatasetError::Exists(_))), "{again}");
    let forced = run(&Options {
        force: true,
        name: Some("Eunomia".into()),
        reference_date: Some("2020-01-01".into()),
        ..t.options()
    })
    .unwrap();
    assert_eq!((forced.name.as_str(), forced.reference_date.as_str()), ("Eunomia", "2020-01-01"));
}

#[test]
fn missing_required_table_is_named_and_nothing_is_written() {
    let t = minimal("no-ancestor");
    fs::remove_file(t.src().join("concept_ancestor.csv")).unwrap();
    let err = t.fails();
    assert!(err.contains("required table concept_ancestor not found"), "{err}");
    assert!(err.contains(&t.src().display().to_string()), "{err}");
    assert!(err.contains("concept_ancestor.parquet, concept_ancestor.csv"), "{err}");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let t = minimal("many-problems");
    fs::remove_file(t.src().join("person.csv")).unwrap();
    fs::remove_file(t.src().join("concept_ancestor.csv")).unwrap();
    t.write("death.csv", "death_date\n2020-01-01\n");
    t.write(
        "observation_period.csv",
        "observation_period_id,person_id,observation_period_start_date,observation_period_end_date\n1,1,2010-13-01,2019-07-03\n",
    );
    t.write("visit_occurrence.csv", "visit_occurrence_id,person_id,visit_concept_id,visit_start_date,visit_end_date,visit_type_concept_id\nx,1,9202,2010-01-01,2010-01-01,44818517\n");
    let mut options = t.options();
    options.reference_date = Some("2020-02-30".into());
    let err = run(&options).expect_err("import should fail").to_string();
    assert_eq!(fs::read_dir(t.0.join("out")).unwrap().count(), 0, "output left behind after: {err}");
    for expected in [
        "problem(s) found",
        "--reference-date \"2020-02-30\" is not a date",
        "required table person not found",
        "required table concept_ancestor not found",
        "table death lacks its required column person_id",
        "export it from the source database",
    ] {
        assert!(err.contains(expected), "{expected:?} missing from:\n{err}");
    }
    // The rows' problems are found in the same run when the files and columns are right.
    let t = minimal("many-bad-values");
    t.write(
        "observation_period.csv",
        "observation_period_id,person_id,observation_period_start_date,observation_period_end_date\n1,1,2010-13-01,2019-07-03\n",
    );
    t.write("visit_occurrence.csv", "visit_occurrence_id,person_id,visit_concept_id,visit_start_date,visit_end_date,visit_type_concept_id\nx,1,9202,2010-01-01,2010-01-01,44818517\n");
    let err = t.fails();
    assert!(err.contains("2 problem(s) found"), "{err}");
    assert!(
        err.contains("observation_period_start_date, data row 1")
            && err.contains("visit_occurrence_id, data row 1"),
        "{err}"
    );
}

#[test]
fn missing_required_column_is_named() {
    let t = minimal("no-column");
    t.write("person.csv", "person_id,gender_concept_id,race_concept_id,ethnicity_concept_id\n1,8507,0,0\n");
    let err = t.fails();
    assert!(err.contains("table person lacks its required column year_of_birth"), "{err}");
}

#[test]
fn observation_ext_is_optional_and_checked_when_present() {
    let t = minimal("observation-ext");
    t.write("observation_ext.csv", "observation_id,survey_version_concept_id\n7,2100000002\n8,\n");
    let manifest = run(&t.options()).unwrap();
    assert_eq!(manifest.tables["observation_ext"].rows, 2);
    let bad = minimal("observation-ext-bad");
    bad.write("observation_ext.csv", "survey_version_concept_id\n2100000002\n");
    let err = bad.fails();
    assert!(err.contains("table observation_ext lacks its required column observation_id"), "{err}");
    let bad_value = minimal("observation-ext-value");
    bad_value.write("observation_ext.csv", "observation_id,survey_version_concept_id\n7,May\n");
    let err = bad_value.fails();
    assert!(err.contains("survey_version_concept_id") && err.contains("May"), "{err}");
}

#[test]
fn bad_value_names_table_column_row_and_value() {
    let t = minimal("bad-value");
    t.write(
        "person.csv",
        "person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id\n1,8507,1970,0,0\n2,8507,19x0,0,0\n",
    );
    let err = t.fails();
    assert!(
        err.contains(
            "table person, column year_of_birth, data row 2: cannot read \"19x0\" as a 32-bit integer"
        ),
        "{err}"
    );
}

#[test]
fn overflowing_concept_id_is_a_bad_value() {
    let t = minimal("overflow");
    t.write(
        "person.csv",
        "person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id\n1,3000000000,1970,0,0\n",
    );
    let err = t.fails();
    assert!(err.contains("column gender_concept_id, data row 1: cannot read \"3000000000\""), "{err}");
}

#[test]
fn null_in_required_column_is_an_error() {
    let t = minimal("null");
    t.write(
        "person.csv",
        "person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id\n1,8507,1970,0,0\n2,8507,,0,0\n",
    );
    let err = t.fails();
    assert!(err.contains("table person, column year_of_birth is required but empty at data row 2"), "{err}");
}

#[test]
fn two_files_for_one_table_is_an_error() {
    let t = minimal("duplicate");
    let person = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("person_id", DataType::Int64, false)])),
        vec![Arc::new(Int64Array::from(vec![1]))],
    )
    .unwrap();
    t.write_parquet("PERSON.parquet", &person);
    let err = t.fails();
    assert!(err.contains("table person has more than one file"), "{err}");
    assert!(err.contains("PERSON.parquet") && err.contains("person.csv"), "{err}");
}

#[test]
fn wrong_kind_of_column_and_bad_reference_date_are_errors() {
    let t = minimal("bad-type");
    let ancestor = RecordBatch::try_from_iter([
        ("ancestor_concept_id", Arc::new(Date32Array::from(vec![1])) as ArrayRef),
        ("descendant_concept_id", Arc::new(Int64Array::from(vec![1]))),
        ("min_levels_of_separation", Arc::new(Int64Array::from(vec![0]))),
        ("max_levels_of_separation", Arc::new(Int64Array::from(vec![0]))),
    ])
    .unwrap();
    fs::remove_file(t.src().join("concept_ancestor.csv")).unwrap();
    t.write_parquet("concept_ancestor.parquet", &ancestor);
    let err = t.fails();
    assert!(
        err.contains("column ancestor_concept_id has type Date32, which cannot be read as a 32-bit integer"),
        "{err}"
    );

    let t = minimal("bad-date");
    let err = run(&Options { reference_date: Some("2019-13-01".into()), ..t.options() }).unwrap_err();
    assert!(matches!(err, ImportError::BadReferenceDate(_)), "{err}");
}

/// Athena's `CONCEPT.csv` header line.
const ATHENA_CONCEPT_HEADER: &str = "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\tstandard_concept\tconcept_code\tvalid_start_date\tvalid_end_date\tinvalid_reason\n";

/// Names as Athena writes them: quotes anywhere (at the start, unbalanced, doubled, alone),
/// commas, apostrophes and non-ASCII text, none of them quoted or escaped.
const ATHENA_NAMES: &[&str] = &[
    "\"Dirty\" hands finding",
    "\"Open quote that never closes",
    "Word associated with \"tiny\", small",
    "\"\"",
    "\"",
    "Trailing quote\"",
    "O'Brien's \"sign, left",
    "Müller-Weiss disease",
];

#[test]
fn athena_vocabulary_files_are_read_exactly_as_written() {
    let t = minimal("athena");
    let mut concept = ATHENA_CONCEPT_HEADER.to_owned();
    for (i, name) in ATHENA_NAMES.iter().enumerate() {
        let code = 1000 + i;
        concept.push_str(&format!(
            "{}\t{name}\tObservation\tSNOMED\tQualifier Value\t\t\"{code}\t19700101\t20991231\t\n",
            4_000_000 + i
        ));
    }
    t.write("CONCEPT.csv", &concept);
    fs::remove_file(t.src().join("concept.csv")).unwrap();
    t.write(
        "CONCEPT_ANCESTOR.csv",
        "ancestor_concept_id\tdescendant_concept_id\tmin_levels_of_separation\tmax_levels_of_separation\n\
         4000000\t4000000\t0\t0\n4000000\t4000001\t1\t1\n",
    );
    fs::remove_file(t.src().join("concept_ancestor.csv")).unwrap();
    run(&t.options()).unwrap();

    let concept = read(&t.out(), "concept");
    let names = concept.column_by_name("concept_name").unwrap().as_string::<i32>();
    let codes = concept.column_by_name("concept_code").unwrap().as_string::<i32>();
    for (i, name) in ATHENA_NAMES.iter().enumerate() {
        assert_eq!(names.value(i), *name, "row {i}");
        assert_eq!(codes.value(i), format!("\"{}", 1000 + i), "row {i}");
    }
    assert!(concept.column_by_name("standard_concept").unwrap().is_null(0));
    let start = concept.column_by_name("valid_start_date").unwrap().as_primitive::<Date32Type>();
    let end = concept.column_by_name("valid_end_date").unwrap().as_primitive::<Date32Type>();
    assert_eq!((start.value(0), end.value(0)), (0, 47_481), "19700101 and 20991231");
    assert_eq!(start.len(), ATHENA_NAMES.len() + 6, "the source concepts and six demographic ones");
    assert_eq!(read(&t.out(), "concept_ancestor").num_rows(), 2);
}

#[test]
fn malformed_athena_line_reports_its_line_in_the_file() {
    let t = minimal("athena-malformed");
    // Line 1 is the header; line 3 opens a quote that never closes; line 5 lacks a field.
    let mut concept = ATHENA_CONCEPT_HEADER.to_owned();
    concept.push_str("1\tFirst\tObservation\tSNOMED\tQualifier Value\t\t1\t19700101\t20991231\t\n");
    concept.push_str("2\t\"Unclosed\tObservation\tSNOMED\tQualifier Value\t\t2\t19700101\t20991231\t\n");
    concept.push_str("3\tThird\tObservation\tSNOMED\tQualifier Value\t\t3\t19700101\t20991231\t\n");
    concept.push_str("4\tFourth\tObservation\tSNOMED\tQualifier Value\t3\t19700101\t20991231\t\n");
    concept.push_str("5\tFifth\tObservation\tSNOMED\tQualifier Value\t\t5\t19700101\t20991231\t\n");
    t.write("CONCEPT.csv", &concept);
    fs::remove_file(t.src().join("concept.csv")).unwrap();
    let err = t.fails();
    assert!(err.contains("CONCEPT.csv"), "{err}");
    assert!(err.contains("incorrect number of fields for line 5, expected 10 got 9"), "{err}");

    // A bad date on line 4 is data row 3 (the header is not a data row).
    let mut concept = ATHENA_CONCEPT_HEADER.to_owned();
    concept.push_str("1\t\"Open\tObservation\tSNOMED\tQualifier Value\t\t1\t19700101\t20991231\t\n");
    concept.push_str("2\tSecond\tObservation\tSNOMED\tQualifier Value\t\t2\t19700101\t20991231\t\n");
    concept.push_str("3\tThird\tObservation\tSNOMED\tQualifier Value\t\t3\t19701301\t20991231\t\n");
    t.write("CONCEPT.csv", &concept);
    let err = t.fails();
    assert!(
        err.contains("table concept, column valid_start_date, data row 3: cannot read \"19701301\""),
        "{err}"
    );
}

#[test]
fn two_columns_with_one_name_is_an_error() {
    let t = minimal("duplicate-column");
    t.write(
        "person.csv",
        "person_id,PERSON_ID,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id\n1,1,8507,1970,0,0\n",
    );
    let err = t.fails();
    assert!(err.contains("table person has more than one column named person_id"), "{err}");
}

#[test]
fn thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(65_690), "65,690");
    assert_eq!(thousands(1_234_567), "1,234,567");
}
