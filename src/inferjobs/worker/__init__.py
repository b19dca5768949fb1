"""Workers: claim items, run them through predictors in batches, record the outcomes."""
