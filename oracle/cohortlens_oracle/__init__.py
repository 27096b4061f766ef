"""The independent DuckDB oracle the cohortlens tests and benchmarks check the engine against.

- `cohortlens_oracle.cohort`: the dataset loading, age and reference-date helpers and the
  domain constants the tests share.
- `cohortlens_oracle.workbench`: the All of Us Workbench's own query construction (its search
  tables built from the OMOP Parquet, its per-criterion SQL shapes), the cohort counts the
  engine is checked against (docs/cohort-semantics.md, fidelity table).
- `cohortlens_oracle.eunomia`: the Eunomia GiBleed dataset, exported for `cohortlens import`.
"""
