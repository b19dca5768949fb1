"""External input sources: S3 (and S3-compatible), Azure Blob and JDBC databases."""
