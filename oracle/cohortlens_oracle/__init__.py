"""The independent DuckDB oracle the cohortlens tests and benchmarks check the engine against.

- `cohortlens_oracle.cohort`: one cohort definition as one DuckDB query (docs/cohort-semantics.md).
- `cohortlens_oracle.eunomia`: the Eunomia GiBleed dataset, exported for `cohortlens import`.
"""
