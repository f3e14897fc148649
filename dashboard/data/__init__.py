"""The data layer, in its flow: sources/ -> ingest -> manifest -> store -> queries.

Sources turn where the data lives into contract tables; the ingest (one process per host)
reads them into the embedded store's Parquet partitions and publishes each generation in a
manifest; the store is what web workers see of it (DuckDB over those files, or a SQL database
queried in place); the query layer (queries, experiments, quality) gives the pages small,
cached, filtered DataFrames.
"""
